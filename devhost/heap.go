package devhost

import "container/heap"

// entryHeap is a min-heap of entries under a caller-chosen order. An entry
// is in at most one heap at a time, so one index field serves all heaps.
type entryHeap struct {
	items []*entry
	less  func(a, b *entry) bool
}

func (h *entryHeap) Len() int           { return len(h.items) }
func (h *entryHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *entryHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index = i
	h.items[j].index = j
}

func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(h.items)
	h.items = append(h.items, e)
}

func (h *entryHeap) Pop() any {
	n := len(h.items)
	e := h.items[n-1]
	h.items[n-1] = nil
	h.items = h.items[:n-1]
	e.index = -1
	return e
}

func (h *entryHeap) push(e *entry) { heap.Push(h, e) }

func (h *entryHeap) pop() *entry { return heap.Pop(h).(*entry) }

func (h *entryHeap) peek() *entry {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

func (h *entryHeap) remove(e *entry) { heap.Remove(h, e.index) }

// byEnqueued orders available messages for delivery: first enqueued first,
// ties (and abandoned messages, which keep their place) by sequence number.
func byEnqueued(a, b *entry) bool {
	if !a.enqueued.Equal(b.enqueued) {
		return a.enqueued.Before(b.enqueued)
	}
	return a.seq < b.seq
}

// byScheduled orders scheduled messages by due time.
func byScheduled(a, b *entry) bool {
	if !a.msg.ScheduledEnqueueTime.Equal(b.msg.ScheduledEnqueueTime) {
		return a.msg.ScheduledEnqueueTime.Before(b.msg.ScheduledEnqueueTime)
	}
	return a.seq < b.seq
}
