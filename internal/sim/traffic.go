package sim

import (
	"context"
	"fmt"
	"sync"
)

// generator is the simulator's one traffic generator: the --rate flag of
// `connector simulate` and the traffic control verb both set it, so a new
// rate replaces the running traffic and rate 0 stops it.
type generator struct {
	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

// Traffic replaces the generated traffic with sc (Drive at sc.Rate);
// sc.Rate <= 0 stops it. The generator stops when the simulator closes.
func (s *Sim) Traffic(sc Scenario) error {
	s.gen.mu.Lock()
	defer s.gen.mu.Unlock()
	s.stopTrafficLocked()
	if sc.Rate <= 0 {
		return nil
	}
	sc.setDefaults()
	if err := s.ensureScenario(sc); err != nil {
		return fmt.Errorf("build scenario: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.gen.stop, s.gen.done = stop, done
	go func() {
		defer close(done)
		if err := s.Drive(ctx, sc); err != nil && ctx.Err() == nil {
			s.log.Error("generated traffic stopped", "err", err)
		}
	}()
	s.log.Info("generated traffic", "rate", sc.Rate, "seed", sc.Seed)
	return nil
}

// stopTrafficLocked stops the generator and waits for it; s.gen.mu held.
func (s *Sim) stopTrafficLocked() {
	if s.gen.stop != nil {
		s.gen.stop()
		<-s.gen.done
		s.gen.stop, s.gen.done = nil, nil
	}
}
