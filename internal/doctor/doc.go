// Package doctor checks the preconditions a tenant and its Azure resources
// must meet before any onboarding works — the admin guide's "before you
// begin" — and renders the answers as a ✓ / ✗ / ! table with one fix line
// per problem, or as JSON. Each source is read through a small interface
// (Tenant for Graph, Queue for Service Bus, Table for the state table) so
// every check is testable on its own.
package doctor
