package main

import (
	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/internal/doctor"
)

func newDoctor() *cobra.Command {
	var o doctor.Options
	cmd := &cobra.Command{
		Use:   "doctor [flags]",
		Short: "Check the tenant's preconditions and the app's permissions before onboarding anyone",
		Long: `Checks what the admin guide lists under "before you begin", against the
configured Graph and Azure resources (settings from the environment, as serve
reads them): external collaboration (allowInvitesFrom), the cross-tenant access
default, the privacy statement URL, the app's Microsoft Graph application
permissions (--app-sp), that every allow-listed group takes direct members and
every role, service principal and app role exists and is enabled, that recent
onboardings' managers exist, and with SCHEDULER=servicebus / STATE_STORE=tables
the queue's properties, send/receive access and a state table probe row.
Prints ✓ / ✗ / ! with one fix line per problem; exits 1 on any ✗.
docs/deploy.md lists every check and its fix.`,
		Example: `  onboard doctor --app-sp 5e7c0000-0000-4000-8000-0000000000b0
  onboard doctor --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := uuid.Parse(o.AppSP); o.AppSP != "" && (err != nil || len(o.AppSP) != 36) {
				return usagef("--app-sp %q: must be the service principal's object id, a GUID such as 5e7c0000-0000-4000-8000-0000000000b0", o.AppSP)
			}
			cfg, err := config.Load(config.FromEnviron())
			if err != nil {
				return err
			}
			_, err = doctor.Run(cmd.Context(), cfg, o, cmd.OutOrStdout())
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.JSON, "json", false, "print the checks as JSON (for scripts)")
	f.StringVar(&o.AppSP, "app-sp", "", "object id of the app's service principal (a managed identity's principal id), to check its Graph permissions")
	return cmd
}
