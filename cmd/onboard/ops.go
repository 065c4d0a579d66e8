package main

import (
	"errors"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/internal/logging"
	"github.com/b2b-onboarding/onboard/internal/ops"
)

// addTarget defines --dev-url, --servicebus and --queue; the returned
// function reads them, with whether --dev-url was given explicitly, and
// reports a --queue that breaks Service Bus's entity naming rule, or a
// --dev-url that is not an absolute http(s) URL, as a usage error.
func addTarget(f *pflag.FlagSet) func() (ops.Target, error) {
	var t ops.Target
	f.StringVar(&t.DevURL, "dev-url", devhost.DefaultDevURL, "URL of the onboard dev runtime")
	f.BoolVar(&t.ServiceBus, "servicebus", false, "act on Service Bus (ServiceBusConnection* settings) instead of the dev runtime; implied when such a setting is present and --dev-url is not given")
	f.StringVar(&t.Queue, "queue", "", "queue name (default: ONBOARDING_QUEUE, else the dev runtime's trigger queue, else onboarding)")
	return func() (ops.Target, error) {
		if rule := config.EntityNameRule(t.Queue); t.Queue != "" && rule != "" {
			return t, usagef("--queue: %s", rule)
		}
		if _, err := devhost.NewClient(t.DevURL, nil); err != nil {
			return t, usagef("--dev-url: %w", err)
		}
		t.DevURLGiven = f.Changed("dev-url")
		return t, nil
	}
}

func newSend() *cobra.Command {
	var spec ops.EventSpec
	cmd := &cobra.Command{
		Use:   "send [FILE] [flags]",
		Short: "Send a CloudEvent to the onboarding queue (dev runtime or Service Bus)",
		Long: `Sends one structured-mode CloudEvent to the onboarding queue with
MessageId = the event id, to the dev runtime (--dev-url) or, with
--servicebus or a ServiceBusConnection* setting, to Service Bus.
The event is checked first, as ` + "`onboard validate`" + ` does: by the running
dev runtime with its own settings, or by yours for Service Bus. With a
problem it lists each, sends nothing and exits 1. --no-validate sends it
unchecked.
Prints the message id.`,
		Example: `  onboard send examples/partner-approved.json
  onboard send --type partner-approved --data @examples/ada.json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("one FILE at a time, got %d arguments", len(args))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Type, "type", "", "CloudEvent type of the event to build, e.g. partner-approved")
	f.StringVar(&spec.Data, "data", "", "event data: JSON, or @file holding it (with --type)")
	f.StringVar(&spec.Source, "source", "", "CloudEvent source (default "+ops.DefaultSource+" for built events; overrides a file's)")
	f.StringVar(&spec.ID, "id", "", "CloudEvent id and MessageId (default: a new UUID for built events; overrides a file's)")
	f.StringVar(&spec.Subject, "subject", "", "CloudEvent subject (optional)")
	noValidate := f.Bool("no-validate", false, "send without checking the event first (to test how the handler treats a bad one)")
	target := addTarget(f)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			spec.File = args[0]
		}
		t, err := target()
		if err != nil {
			return err
		}
		o := ops.SendOptions{Event: spec, Target: t, NoValidate: *noValidate}
		return ops.Send(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
	return cmd
}

func newValidate() *cobra.Command {
	var o ops.ValidateOptions
	cmd := &cobra.Command{
		Use:   "validate FILE... [flags]",
		Short: "Check events as the handler would (schema and policy, no Graph) and list every problem",
		Long: `Checks each FILE as the handler checks the message ` + "`onboard send FILE`" + `
makes of it: the CloudEvent, its type, its source, the data (every field
against its rule) and the policy, without Graph or the state store. Every
problem is listed with its field and rule. A file holding only event data
(no "specversion") is checked as the data of a partner-approved event.

--settings dev (default) judges by the settings ` + "`onboard dev`" + ` runs with
(yours over dev's defaults); --settings serve by your settings alone, as
the deployed handler reads them (environment and ./local.settings.json).

Exit status: 0 when every file is valid, 1 when any has a problem, 2 for
a usage error.`,
		Example: `  onboard validate examples/*.json
  onboard validate --settings serve examples/partner-approved.json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("want at least one FILE (a CloudEvent JSON file, or partner-approved data)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Settings != ops.JudgeDev && o.Settings != ops.JudgeServe {
				return usagef("--settings %q: must be dev or serve", o.Settings)
			}
			o.Files = args
			return ops.Validate(o, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&o.Settings, "settings", ops.JudgeDev, "settings to judge by: dev (those `onboard dev` runs with) or serve (yours, as deployed)")
	return cmd
}

func newList() *cobra.Command {
	var o ops.ListOptions
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the onboardings in the state store (key, phase, guest, emails, next reminder, last error)",
		Long: `Lists every onboarding record: its key (the address), phase, guest id,
emails sent, next reminder and last error, as a table, or the records as
JSON. From the dev runtime (--dev-url), or, with --servicebus or a
ServiceBusConnection* setting, from the state table the settings name
(STATE_TABLE_*). An event that was refused or invalid has no record: see
` + "`onboard dlq list`" + `.`,
		Example: `  onboard list
  onboard list --phase Failed
  onboard list --json | jq '.[].key'`,
		Args: noArgs,
	}
	f := cmd.Flags()
	f.StringVar(&o.Phase, "phase", "", "only onboardings in this phase: New, Invited, Provisioned, Completed, Expired or Failed")
	f.BoolVar(&o.JSON, "json", false, "print the records as JSON (for scripts)")
	target := addTarget(f)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if o.Phase != "" {
			if _, err := ops.ParsePhase(o.Phase); err != nil {
				return usageError{err}
			}
		}
		var err error
		if o.Target, err = target(); err != nil {
			return err
		}
		return ops.List(cmd.Context(), o, cmd.OutOrStdout(), time.Now())
	}
	return cmd
}

func newStatus() *cobra.Command {
	var o ops.StatusOptions
	cmd := &cobra.Command{
		Use:   "status EMAIL|GUEST-ID|REQUEST-ID [flags]",
		Short: "Show an onboarding (by email, guest id or request id) through the status function",
		Long: `Asks the OnboardingStatus HTTP function (GET /api/onboarding/{key}) and
shows the onboarding: phase, guest, invitation, reminders, steps done,
failures. --json prints the record itself.`,
		Args: exactArgs(1, "one onboarding key: an email address, guest object id or procurement request id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Key = args[0]
			return ops.Status(cmd.Context(), o, cmd.OutOrStdout(), time.Now())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.JSON, "json", false, "print the onboarding record as JSON (for scripts)")
	f.StringVar(&o.DevURL, "dev-url", devhost.DefaultDevURL, "URL of the onboard dev runtime")
	f.StringVar(&o.URL, "url", "", "URL of a deployed function app, e.g. https://contoso-onboard.azurewebsites.net (instead of --dev-url)")
	f.StringVar(&o.Code, "code", "", "function key (the status function has authLevel function); default for --dev-url: the dev runtime's key")
	return cmd
}

func newDLQ() *cobra.Command {
	var asJSON, yes bool
	cmd := &cobra.Command{
		Use:   "dlq list|show|replay|purge [MESSAGE-ID] [flags]",
		Short: "List, show, replay or purge dead letters, with the recorded reasons",
		Long: `Works on the dead-letter queue of the dev runtime (--dev-url) or, with
--servicebus or a ServiceBusConnection* setting, of Service Bus. Each dead
letter is shown with the reason the workflow recorded for its MessageId
(the state store's failure log), not only MaxDeliveryCountExceeded.`,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing action: list, show, replay or purge")
			}
			return usagef("unknown action %q: use list, show, replay or purge", args[0])
		},
	}
	f := cmd.PersistentFlags()
	f.BoolVar(&asJSON, "json", false, "list/show: print JSON (for scripts)")
	target := addTarget(f)
	action := func(name, short string, withID bool) *cobra.Command {
		c := &cobra.Command{Use: name, Short: short, Args: exactArgs(0, "no arguments")}
		if withID {
			c.Use += " MESSAGE-ID"
			c.Args = exactArgs(1, "one MESSAGE-ID (see `onboard dlq list`)")
		}
		c.RunE = func(c *cobra.Command, args []string) error {
			t, err := target()
			if err != nil {
				return err
			}
			o := ops.DLQOptions{Action: name, JSON: asJSON, Target: t, Yes: yes}
			if withID {
				o.ID = args[0]
			}
			if in, ok := c.InOrStdin().(*os.File); ok && logging.IsTerminal(in) {
				o.Confirm = in
			}
			err = ops.DLQ(c.Context(), o, c.OutOrStdout(), c.ErrOrStderr(), time.Now())
			if errors.Is(err, ops.ErrNotConfirmed) {
				return usageError{err}
			}
			return err
		}
		return c
	}
	cmd.AddCommand(
		action(ops.DLQList, "List the dead letters with their recorded reasons", false),
		action(ops.DLQShow, "Show one dead letter with its body", true),
		action(ops.DLQReplay, "Resubmit a dead letter with a fresh MessageId and print it", true),
		action(ops.DLQPurge, "Delete every dead letter (asks first on a terminal; --yes to skip the question) and print the count", false),
	)
	cmd.PersistentFlags().BoolVar(&yes, "yes", false, "purge: delete without asking (required when not on a terminal)")
	return cmd
}

func newEvents() *cobra.Command {
	var o ops.EventsOptions
	cmd := &cobra.Command{
		Use:   "events [flags]",
		Short: "Show the outcome events on the outcomes topic (dev runtime or Service Bus)",
		Long: `Shows the outcome events (partner-invited, partner-provisioned,
partner-accepted, partner-reminded, partner-expired, partner-failed)
waiting in a subscription of the outcomes topic, without taking them
(peek): from the dev runtime (--dev-url) or, with --servicebus or a
ServiceBusConnection* setting, from Service Bus.`,
		Example: `  onboard events
  onboard events --follow --json
  onboard events --servicebus --subscription procurement`,
		Args: exactArgs(0, "no arguments"),
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep printing new events until interrupted")
	f.BoolVar(&o.JSON, "json", false, "print one JSON object per event and line")
	f.StringVar(&o.Topic, "topic", "", "outcomes topic (default: OUTCOMES_TOPIC, else onboarding-outcomes)")
	f.StringVar(&o.Subscription, "subscription", ops.DefaultSubscription, "subscription of the topic to read")
	target := addTarget(f)
	_ = f.MarkHidden("queue") // events read a topic, not the queue
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if rule := config.EntityNameRule(o.Topic); o.Topic != "" && rule != "" {
			return usagef("--topic: %s", rule)
		}
		if rule := config.SubscriptionNameRule(o.Subscription); o.Subscription != "" && rule != "" {
			return usagef("--subscription: %s", rule)
		}
		var err error
		if o.Target, err = target(); err != nil {
			return err
		}
		return ops.Events(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
	return cmd
}
