package devhost

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// procWriteBytes returns the bytes this process passed to write system
// calls so far (wchar in /proc/self/io, Linux), or -1 where unavailable.
func procWriteBytes() int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte("wchar: ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// fill enqueues n messages like body in one transaction, to set up a long
// queue quickly.
func fill(b *testing.B, q *Queue, n int, body []byte) {
	b.Helper()
	now := time.Now()
	q.mu.Lock()
	for i := range n {
		e := q.enqueue(Message{MessageID: fmt.Sprintf("fill-%d", i), Body: body, ContentType: "application/cloudevents+json"}, now)
		q.remember(e.msg.MessageID, now, e.key)
	}
	if err := q.unlock(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkQueueSend measures a durable Send (on disk before it returns)
// with 100, 10,000 and 100,000 messages queued: sends per second and bytes
// written per send (write system calls, /proc/self/io). Between two timed
// sends the oldest message is received and completed, untimed, so the
// queue length stays put. It prints the ratio of the per-send costs at
// 100,000 and at 100 queued messages, which must stay close to 1.
//
//	go test -run '^$' -bench BenchmarkQueueSend ./devhost/
func BenchmarkQueueSend(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 400) // about one CloudEvent of the app
	type cost struct{ bytesPerSend, nsPerSend float64 }
	costs := map[int]cost{}
	sizes := []int{100, 10_000, 100_000}
	for _, n := range sizes {
		br, err := NewBroker(BrokerOptions{DataDir: b.TempDir(), Logger: quietLogger(), Queue: QueueOptions{Logger: quietLogger()}})
		if err != nil {
			b.Fatal(err)
		}
		q, err := br.Queue("bench")
		if err != nil {
			b.Fatal(err)
		}
		fill(b, q, n, body)
		sent := 0 // across the runs of the sub-benchmark (-count): ids stay unique
		b.Run(fmt.Sprintf("queued=%d", n), func(b *testing.B) {
			ctx := context.Background()
			var written int64
			i := 0
			for b.Loop() {
				w0 := procWriteBytes()
				if _, err := q.Send(ctx, Message{MessageID: fmt.Sprintf("bench-%d", sent), Body: body, ContentType: "application/cloudevents+json"}); err != nil {
					b.Fatal(err)
				}
				written += procWriteBytes() - w0
				i++
				sent++
				b.StopTimer()
				m, ok := q.TryReceive()
				if !ok {
					b.Fatal("nothing to receive")
				}
				if err := q.Complete(m.LockToken); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			if st := q.Stats(); st.Active != n {
				b.Fatalf("queue length drifted: %+v", st)
			}
			c := cost{float64(written) / float64(i), float64(b.Elapsed().Nanoseconds()) / float64(i)}
			b.ReportMetric(c.bytesPerSend, "B/send")
			b.ReportMetric(1e9/c.nsPerSend, "sends/s")
			costs[n] = c
		})
		if err := br.Close(); err != nil {
			b.Fatal(err)
		}
	}
	lo, hi := costs[sizes[0]], costs[sizes[len(sizes)-1]]
	if lo.nsPerSend > 0 && lo.bytesPerSend > 0 {
		// Printed, not logged: the log of a benchmark that only runs
		// sub-benchmarks is not shown.
		fmt.Printf("BenchmarkQueueSend ratio queued=100000/queued=100: %.2f B/send, %.2f time/send\n",
			hi.bytesPerSend/lo.bytesPerSend, hi.nsPerSend/lo.nsPerSend)
	}
}
