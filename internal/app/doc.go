// Package app assembles the custom handler from validated settings: the
// Graph directory, the state store, the scheduler and the workflow engine
// behind the Functions protocol handler, with the app's one Azure
// credential built here and handed to each client. `onboard serve` runs
// it as it is; `onboard dev` replaces its store and scheduler.
package app
