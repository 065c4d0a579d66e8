package main

import (
	"context"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/internal/app"
	"github.com/b2b-onboarding/onboard/internal/doctor"
	"github.com/b2b-onboarding/onboard/internal/logging"
	"github.com/b2b-onboarding/onboard/internal/logkey"
)

func newServe() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the Functions custom handler (settings from the environment)",
		Long: `Runs the custom handler on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT.
Settings come from environment variables; see the README's Configuration table.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(config.FromEnviron())
			if err != nil {
				return err
			}
			log := logging.New(os.Stderr, cfg.LogFormat, cfg.LogLevel)
			a, err := app.Build(cmd.Context(), cfg, log, app.Overrides{})
			if err != nil {
				return err
			}
			defer a.Close(context.Background())
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", cfg.Port))
			if err != nil {
				return err
			}
			// once listening: it logs the app's Graph permissions and never
			// fails start-up, so it need not hold readiness up
			go doctor.StartupCheck(cmd.Context(), cfg, a.Graph, a.GraphCredential, log)
			log.Info("custom handler listening", logkey.Addr, ln.Addr().String(), logkey.Graph, cfg.GraphBaseURL,
				logkey.Scheduler, cfg.Scheduler, logkey.Store, cfg.StateStore, logkey.Queue, cfg.Queue)
			return a.Serve(cmd.Context(), ln)
		},
	}
}
