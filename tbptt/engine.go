package tbptt

import (
	"errors"
	"fmt"

	"github.com/phoneme/phoneme/data"
	"github.com/phoneme/phoneme/lstm"
)

// Stats counts what one call of Engine.Train did.
type Stats struct {
	Updates        int64   // weight updates (calls of step)
	FramesForward  int64   // frames forward-propagated, re-runs included, summed over streams
	FramesBackward int64   // frames back-propagated, summed over every backward pass
	Scored         int64   // frames with a target
	Errors         int64   // scored frames whose streaming output's argmax is wrong
	Loss           float64 // summed cross-entropy (nats) of the scored frames' streaming outputs
}

// Add accumulates o into s.
func (s *Stats) Add(o Stats) {
	s.Updates += o.Updates
	s.FramesForward += o.FramesForward
	s.FramesBackward += o.FramesBackward
	s.Scored += o.Scored
	s.Errors += o.Errors
	s.Loss += o.Loss
}

// Engine trains a model under one schedule.
type Engine struct {
	m     *lstm.Model
	s     Schedule
	delay int
	batch int
}

// NewEngine returns an engine that trains m under schedule s with the given
// target delay (frames) and number of side-by-side streams.
func NewEngine(m *lstm.Model, s Schedule, targetDelay, batch int) (*Engine, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if targetDelay < 0 {
		return nil, fmt.Errorf("target delay %d < 0", targetDelay)
	}
	if batch < 1 {
		return nil, fmt.Errorf("batch %d < 1", batch)
	}
	return &Engine{m: m, s: s, delay: targetDelay, batch: batch}, nil
}

// Train streams sents through the model and calls step at every weight update.
func (e *Engine) Train(sents []*data.Sentence, step func(g *lstm.Grads) error) (Stats, error) {
	return Stats{}, errors.New("tbptt: Train not implemented")
}
