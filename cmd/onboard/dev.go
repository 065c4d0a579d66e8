package main

import (
	"github.com/spf13/cobra"

	"github.com/b2b-onboarding/onboard/internal/devrun"
)

func newDev() *cobra.Command {
	o, err := devrun.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the whole flow locally: queue, host emulator, handler, state and graphsim",
		Long: `Runs the whole onboarding flow in one process, without Azure: an embedded
queue with Service Bus semantics, a Functions host emulator driving the
custom handler over HTTP, the handler itself (same code as serve), a state
store under --data-dir and the graphsim Microsoft Graph simulator. Settings
come from the environment and ./local.settings.json, over dev defaults.
See docs/dev.md.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err != nil {
				return err // infra/queue.json did not load
			}
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			return devrun.Run(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", o.Addr, "`host:port` the dev runtime listens on: HTTP functions under /api, ops API under /_dev (loopback only)")
	f.StringVar(&o.DataDir, "data-dir", o.DataDir, "directory keeping the queues, the state store and graphsim's tenant across restarts")
	f.BoolVar(&o.InMemory, "in-memory", false, "keep queues, state and graphsim's tenant in memory only (nothing written to --data-dir)")
	f.StringVar(&o.GraphURL, "graph-url", "", "Microsoft Graph base `URL` to use instead of the embedded graphsim, e.g. https://graph.microsoft.com/v1.0 (GRAPH_AUTH from settings, default: default)")
	f.StringVar(&o.GraphsimAddr, "graphsim-addr", "", "`host:port` the embedded graphsim listens on, e.g. 127.0.0.1:5081 (loopback only; default: a free port)")
	f.IntVar(&o.MaxDelivery, "max-delivery-count", o.MaxDelivery, "deliveries before a failing message is dead-lettered (the queue's MaxDeliveryCount; default from infra/queue.json)")
	f.DurationVar(&o.LockDuration, "lock-duration", o.LockDuration, "peek-lock duration of the queue (default from infra/queue.json); a message locked when dev was killed is delivered again after it")
	f.StringVar(&o.ReminderSchedule, "reminder-schedule", o.ReminderSchedule, "when reminders are due after the invitation (REMINDER_SCHEDULE, time-scaled for dev)")
	f.StringVar(&o.ExpireAfter, "expire-after", o.ExpireAfter, "when an unaccepted invitation expires (REMINDER_EXPIRE_AFTER)")
	f.StringVar(&o.LogFormat, "log-format", "", "text (readable lines) or json (structured slog); default LOG_FORMAT, else text")
	f.StringVar(&o.Color, "color", "auto", "colour the text log's levels and outcomes: auto (on a terminal, unless NO_COLOR is set), always or never")
	return cmd
}
