package config

import "fmt"

// Identity is an Azure identity the app authenticates with. The app's
// identity (Config.Identity) serves the state table (STATE_TABLE_ENDPOINT)
// and Service Bus (ServiceBusConnection__fullyQualifiedNamespace), and
// Microsoft Graph too unless GRAPH_CLIENT_ID gives Graph a managed identity
// of its own (Config.GraphIdentity), so that the identity holding Graph
// permissions is used by nothing else. The wiring builds the credentials in
// one place (internal/app/credential.go).
type Identity struct {
	// ManagedIdentity selects ManagedIdentityCredential; otherwise
	// DefaultAzureCredential (environment, workload identity, managed
	// identity, then developer sign-ins such as `az login`).
	ManagedIdentity bool
	// ClientID selects a user-assigned managed identity (ManagedIdentity
	// only); empty is the system-assigned one.
	ClientID string
}

// identityOf decides the app's identity from GRAPH_AUTH and
// AZURE_CLIENT_ID:
//
//   - managedidentity: the managed identity, user-assigned when
//     AZURE_CLIENT_ID is set;
//   - default: DefaultAzureCredential (which reads AZURE_CLIENT_ID itself);
//   - none (Graph without authentication, loopback only): the user-assigned
//     managed identity when AZURE_CLIENT_ID is set, else
//     DefaultAzureCredential, for the table and Service Bus.
func identityOf(graphAuth, clientID string) Identity {
	switch {
	case graphAuth == "managedidentity":
		return Identity{ManagedIdentity: true, ClientID: clientID}
	case graphAuth == "none" && clientID != "":
		return Identity{ManagedIdentity: true, ClientID: clientID}
	}
	return Identity{}
}

// graphIdentity decides the identity Graph authenticates with: the managed
// identity GRAPH_CLIENT_ID names, else the app's. GRAPH_CLIENT_ID is refused
// with GRAPH_AUTH=default (DefaultAzureCredential cannot be pointed at a
// second identity: it reads AZURE_CLIENT_ID) and with none (Graph without
// authentication), rather than silently ignored.
func (r *reader) graphIdentity(graphAuth string, app Identity) Identity {
	id := r.get("GRAPH_CLIENT_ID")
	switch {
	case id == "":
		return app
	case graphAuth != "managedidentity":
		r.bad("GRAPH_CLIENT_ID", "needs GRAPH_AUTH=managedidentity (it names the managed identity Graph uses), got GRAPH_AUTH=%s; unset it", graphAuth)
		return app
	}
	return Identity{ManagedIdentity: true, ClientID: id}
}

// IdentityFrom is the app's identity as settings read through get name it,
// for commands (send, dlq) that need a credential for Service Bus or the
// state table without loading every setting.
func IdentityFrom(get Getenv) Identity {
	r := &reader{getenv: get}
	return identityOf(r.oneOf("GRAPH_AUTH", "managedidentity", "default", "none"), r.get("AZURE_CLIENT_ID"))
}

// String names the identity for logs, without secrets.
func (id Identity) String() string {
	switch {
	case id.ManagedIdentity && id.ClientID != "":
		return "managed identity (client id " + id.ClientID + ")"
	case id.ManagedIdentity:
		return "managed identity (system-assigned)"
	}
	return "DefaultAzureCredential"
}

// sameIdentity checks that an identity-based Service Bus connection names
// the app's identity: the scheduler sends with the app's one credential,
// so ServiceBusConnection__clientId / __credential (which the Functions
// host reads for the trigger) must not name another one.
func (c ServiceBusConnection) sameIdentity(id Identity) error {
	if c.ConnectionString != "" {
		return nil
	}
	if c.ClientID != "" && (!id.ManagedIdentity || c.ClientID != id.ClientID) {
		return fmt.Errorf("%s__clientId: must name the app's identity, which is %s (GRAPH_AUTH and AZURE_CLIENT_ID decide it; the state table and Service Bus use the app's identity)", c.Prefix, id)
	}
	if c.Credential == CredentialManagedIdentity && !id.ManagedIdentity {
		return fmt.Errorf("%s__credential: managedidentity needs the app's identity to be a managed identity, but it is %s (set GRAPH_AUTH=managedidentity, or AZURE_CLIENT_ID)", c.Prefix, id)
	}
	return nil
}
