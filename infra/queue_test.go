package infra

import (
	"strings"
	"testing"
	"time"
)

func TestEmbeddedQueueProperties(t *testing.T) {
	p, err := Queue()
	if err != nil {
		t.Fatal(err)
	}
	want := QueueProperties{LockDuration: 5 * time.Minute, MaxDeliveryCount: 10, RequiresDuplicateDetection: true,
		DuplicateDetectionHistoryTimeWindow: 48 * time.Hour, DefaultMessageTimeToLive: 14 * 24 * time.Hour,
		DeadLetteringOnMessageExpiration: true}
	if p != want {
		t.Fatalf("queue.json = %+v, want %+v (docs/deploy.md explains these numbers: change both)", p, want)
	}
}

func TestParseQueueNamesTheKey(t *testing.T) {
	valid := `"lockDuration":"PT1M","maxDeliveryCount":3,"requiresDuplicateDetection":true,` +
		`"duplicateDetectionHistoryTimeWindow":"PT10M","defaultMessageTimeToLive":"P1D","deadLetteringOnMessageExpiration":false`
	if p, err := ParseQueue([]byte("{" + valid + "}")); err != nil || p.LockDuration != time.Minute || p.MaxDeliveryCount != 3 || p.DeadLetteringOnMessageExpiration {
		t.Fatalf("valid file: %+v %v", p, err)
	}
	cases := map[string]struct{ json, key string }{
		"lock above the maximum":    {strings.Replace(valid, `"PT1M"`, `"PT6M"`, 1), "lockDuration"},
		"window not ISO 8601":       {strings.Replace(valid, `"PT10M"`, `"10m"`, 1), "duplicateDetectionHistoryTimeWindow"},
		"delivery count zero":       {strings.Replace(valid, `"maxDeliveryCount":3`, `"maxDeliveryCount":0`, 1), "maxDeliveryCount"},
		"flag as a string":          {strings.Replace(valid, `"requiresDuplicateDetection":true`, `"requiresDuplicateDetection":"yes"`, 1), "requiresDuplicateDetection"},
		"property missing":          {strings.Replace(valid, `"defaultMessageTimeToLive":"P1D",`, ``, 1), "defaultMessageTimeToLive: missing"},
		"property bicep never sets": {valid + `,"lockDurationSeconds":60`, "lockDurationSeconds"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseQueue([]byte("{" + tc.json + "}"))
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("err = %v, want one naming %s", err, tc.key)
			}
		})
	}
}

func TestParseISODuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT5M": 5 * time.Minute, "P2D": 48 * time.Hour, "P1W": 7 * 24 * time.Hour, "PT1H30M": 90 * time.Minute,
		"P1DT2H": 26 * time.Hour, "PT0.5S": 500 * time.Millisecond,
	} {
		if got, err := ParseISODuration(in); err != nil || got != want {
			t.Errorf("%s = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "P", "PT", "5M", "P1H", "PT1D", "00:05:00"} {
		if _, err := ParseISODuration(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
