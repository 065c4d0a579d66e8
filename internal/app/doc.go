// Package app assembles the custom handler from validated settings: the
// Graph directory, the state store, the scheduler and the workflow engine
// behind the Functions protocol handler, with the Azure credentials built
// here (credential.go): the app's for the state table and Service Bus,
// and Graph's, which is the same one unless GRAPH_CLIENT_ID names another. `onboard serve` runs
// it as it is; `onboard dev` replaces its store and scheduler.
package app
