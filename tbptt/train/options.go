package train

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/phoneme/phoneme/lstm"
	"github.com/phoneme/phoneme/tbptt"
)

// The training options of a Config, described once: the command-line flags
// of phoneme train and compare, the per-entry overrides of a comparison's
// schedule list and the option table of the README are all made from
// Options, so names, defaults, validation and help cannot drift apart.

// A Kind is the type of an option's value.
type Kind int

const (
	Int    Kind = iota // a decimal integer
	Float              // a finite number
	Bool               // true or false
	String             // free text (a name or a path)
	Uint               // a decimal unsigned integer
)

var kindNames = [...]string{Int: "integer", Float: "number", Bool: "true/false", String: "text", Uint: "integer"}

// String names the kind as the option table shows it.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Where an option may be given.
type Scope int

const (
	// TrainOnly options are flags of phoneme train only (a comparison sets
	// them itself, or takes them from its schedule entries).
	TrainOnly Scope = iota
	// Shared options are flags of phoneme train and compare.
	Shared
)

// An Option is one training option.
type Option struct {
	Name  string // flag name and schedule-list key, e.g. "lr"
	Kind  Kind
	Scope Scope
	// PerEntry: a comparison's schedule entry may override it (key=value).
	PerEntry bool
	// Default is the default value as Set accepts it ("" for none); Note,
	// when set, describes the default in words instead ("0 = off").
	Default, Note string
	Help          string // one line

	set func(c *Config, v string) error
	get func(c Config) string
}

// An OptionError reports an option value that is malformed or out of range.
type OptionError struct {
	Name, Value string
	Reason      string // e.g. "must be an integer ≥ 1"
}

func (e *OptionError) Error() string { return fmt.Sprintf("%s = %q: %s", e.Name, e.Value, e.Reason) }

// Set parses value and sets the option in c; errors are *OptionError.
func (o Option) Set(c *Config, value string) error { return o.set(c, value) }

// Value returns the option's value in c as text (what Set accepts).
func (o Option) Value(c Config) string { return o.get(c) }

// Upper bounds of the network and data-feeding options: far beyond any
// sensible run, low enough that a typo is refused before it allocates the
// machine's memory away (4096 cells: 4·4096² weights per layer, 64M floats).
const (
	MaxHidden      = 4096
	MaxLayers      = 16
	MaxBatch       = 4096
	MaxBucket      = 1 << 20
	MaxTargetDelay = 1000
)

// DefaultLR is the default learning rate of each optimizer: Adam's usual
// 1e-3 (scale-free, so it suits summed losses), and Graves's 1e-5 for SGD
// with summed losses.
func DefaultLR(optimizer OptimizerKind) float64 {
	if optimizer == OptSGD {
		return 1e-5
	}
	return 1e-3
}

// intOpt accepts an integer in [min, max] (max < 0: no upper bound). The
// bounds keep a typo from allocating the machine's memory away.
func intOpt(name string, min, max int, field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < min || (max >= 0 && n > max) {
			if max >= 0 {
				return &OptionError{name, v, fmt.Sprintf("must be an integer in %d … %d", min, max)}
			}
			return &OptionError{name, v, fmt.Sprintf("must be an integer ≥ %d", min)}
		}
		*field(c) = n
		return nil
	}
}

func int64Opt(name string, field func(*Config) *int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return &OptionError{name, v, "must be an integer ≥ 0"}
		}
		*field(c) = n
		return nil
	}
}

// floatOpt accepts a finite number ≥ 0 (> 0 when positive is set).
func floatOpt(name string, positive bool, field func(*Config) *float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || x < 0 || math.IsNaN(x) || math.IsInf(x, 0) || x > 1e300 {
			return &OptionError{name, v, "must be a finite number ≥ 0"}
		}
		if positive && x == 0 {
			return &OptionError{name, v, "must be positive"}
		}
		*field(c) = x
		return nil
	}
}

func boolOpt(name string, field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return &OptionError{name, v, "must be true or false"}
		}
		*field(c) = b
		return nil
	}
}

func itoa(n int) string     { return strconv.Itoa(n) }
func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Options returns the training options in the order the help and the
// README list them.
func Options() []Option {
	def := DefaultConfig()
	return []Option{
		{Name: "schedule", Kind: String, Scope: TrainOnly, Default: string(def.Schedule), Help: "sentence, frame or tbptt",
			set: func(c *Config, v string) error {
				// The name only: k1, k2 and truncation are checked together
				// by Config.Validate.
				k, err := tbptt.ParseKind(v)
				if err != nil {
					return &OptionError{"schedule", v, fmt.Sprintf("unknown schedule %q: want sentence, frame or tbptt", v)}
				}
				c.Schedule = k
				return nil
			},
			get: func(c Config) string { return string(c.Schedule) }},
		{Name: "k1", Kind: Int, Scope: TrainOnly, PerEntry: true, Note: "unset", Help: "frames between updates (tbptt)",
			set: intOpt("k1", 1, tbptt.MaxK, func(c *Config) *int { return &c.K1 }),
			get: func(c Config) string { return itoa(c.K1) }},
		{Name: "k2", Kind: String, Scope: TrainOnly, PerEntry: true, Note: "tbptt: k1, frame: all", Help: `frames back-propagated: a number or "all"`,
			set: func(c *Config, v string) error {
				if _, err := tbptt.ParseK2(v); err != nil {
					return &OptionError{"k2", v, fmt.Sprintf(`must be a number in 1 … %d or "all"`, tbptt.MaxK)}
				}
				c.K2 = v
				return nil
			},
			get: func(c Config) string { return c.K2 }},
		{Name: "truncation", Kind: String, Scope: TrainOnly, PerEntry: true, Default: tbptt.Window.String(), Help: "window, per-error or chunk",
			set: func(c *Config, v string) error {
				if _, err := tbptt.ParseTruncation(v); err != nil {
					return &OptionError{"truncation", v, "want window, per-error or chunk"}
				}
				c.Truncation = v
				return nil
			},
			get: func(c Config) string { return c.Truncation }},
		{Name: "k2-schedule", Kind: String, Scope: TrainOnly, PerEntry: true,
			Help: "k2 by epoch (0-based), overriding k2: steps 1@0,5@2,20@4,all@8 (joined by / in a schedule list) or a ramp 1-20@0-8",
			set: func(c *Config, v string) error {
				if _, err := ParseK2Schedule(v); err != nil {
					return err
				}
				c.K2Schedule = v
				return nil
			},
			get: func(c Config) string { return c.K2Schedule }},
		{Name: "hidden", Kind: Int, Scope: Shared, PerEntry: true, Default: itoa(def.Hidden), Help: "LSTM cells per layer",
			set: intOpt("hidden", 1, MaxHidden, func(c *Config) *int { return &c.Hidden }),
			get: func(c Config) string { return itoa(c.Hidden) }},
		{Name: "layers", Kind: Int, Scope: Shared, PerEntry: true, Default: itoa(def.Layers), Help: "stacked LSTM layers",
			set: intOpt("layers", 1, MaxLayers, func(c *Config) *int { return &c.Layers }),
			get: func(c Config) string { return itoa(c.Layers) }},
		{Name: "peepholes", Kind: Bool, Scope: Shared, PerEntry: true, Default: strconv.FormatBool(def.Peepholes), Help: "peephole connections (Graves & Schmidhuber 2005)",
			set: boolOpt("peepholes", func(c *Config) *bool { return &c.Peepholes }),
			get: func(c Config) string { return strconv.FormatBool(c.Peepholes) }},
		{Name: "batch", Kind: Int, Scope: Shared, PerEntry: true, Default: itoa(def.Batch), Help: "sentences streamed side by side (gradient averaged over them)",
			set: intOpt("batch", 1, MaxBatch, func(c *Config) *int { return &c.Batch }),
			get: func(c Config) string { return itoa(c.Batch) }},
		{Name: "optimizer", Kind: String, Scope: Shared, PerEntry: true, Default: string(def.Optimizer), Help: "sgd or adam",
			set: func(c *Config, v string) error {
				k, err := ParseOptimizer(v)
				if err != nil {
					return &OptionError{"optimizer", v, "want sgd or adam"}
				}
				c.Optimizer = k
				return nil
			},
			get: func(c Config) string { return string(c.Optimizer) }},
		{Name: "lr", Kind: Float, Scope: Shared, PerEntry: true,
			Note: string(OptAdam) + " " + ftoa(DefaultLR(OptAdam)) + ", " + string(OptSGD) + " " + ftoa(DefaultLR(OptSGD)), Help: "learning rate",
			set: floatOpt("lr", true, func(c *Config) *float64 { return &c.LR }),
			get: func(c Config) string { return ftoa(c.LR) }},
		{Name: "momentum", Kind: Float, Scope: Shared, PerEntry: true, Default: ftoa(def.Momentum), Help: "SGD momentum",
			set: floatOpt("momentum", false, func(c *Config) *float64 { return &c.Momentum }),
			get: func(c Config) string { return ftoa(c.Momentum) }},
		{Name: "clip", Kind: Float, Scope: Shared, PerEntry: true, Default: "0", Note: "0 = off", Help: "clip the gradient's global norm to this",
			set: floatOpt("clip", false, func(c *Config) *float64 { return &c.Clip }),
			get: func(c Config) string { return ftoa(c.Clip) }},
		{Name: "target-delay", Kind: Int, Scope: Shared, PerEntry: true, Default: itoa(def.TargetDelay), Help: "score the output at frame t against the label of frame t-D",
			set: intOpt("target-delay", 0, MaxTargetDelay, func(c *Config) *int { return &c.TargetDelay }),
			get: func(c Config) string { return itoa(c.TargetDelay) }},
		{Name: "init", Kind: String, Scope: Shared, PerEntry: true, Help: "start from this checkpoint instead of random weights",
			set: func(c *Config, v string) error { c.Init = v; return nil },
			get: func(c Config) string { return c.Init }},
		{Name: "shuffle", Kind: Bool, Scope: Shared, PerEntry: true, Default: strconv.FormatBool(def.Shuffle), Help: "shuffle the training utterances each epoch (false: feats.scp order)",
			set: boolOpt("shuffle", func(c *Config) *bool { return &c.Shuffle }),
			get: func(c Config) string { return strconv.FormatBool(c.Shuffle) }},
		{Name: "bucket", Kind: Int, Scope: Shared, PerEntry: true, Default: "0", Note: "0 = off", Help: "with batch > 1, sort each epoch's order by length within runs of this many groups (less idle time)",
			set: intOpt("bucket", 0, MaxBucket, func(c *Config) *int { return &c.Bucket }),
			get: func(c Config) string { return itoa(c.Bucket) }},
		{Name: "seed", Kind: Uint, Scope: TrainOnly, Default: strconv.FormatUint(def.Seed, 10), Help: "seed of the initial weights and the shuffles",
			set: func(c *Config, v string) error {
				n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				if err != nil {
					return &OptionError{"seed", v, "must be an integer ≥ 0"}
				}
				c.Seed = n
				return nil
			},
			get: func(c Config) string { return strconv.FormatUint(c.Seed, 10) }},
		{Name: "epochs", Kind: Int, Scope: TrainOnly, PerEntry: true, Default: itoa(def.Epochs), Help: "passes over the training data (0: until max-updates)",
			set: intOpt("epochs", 0, -1, func(c *Config) *int { return &c.Epochs }),
			get: func(c Config) string { return itoa(c.Epochs) }},
		{Name: "max-updates", Kind: Int, Scope: Shared, PerEntry: true, Default: "0", Note: "0 = no limit", Help: "stop after exactly this many weight updates",
			set: int64Opt("max-updates", func(c *Config) *int64 { return &c.MaxUpdates }),
			get: func(c Config) string { return strconv.FormatInt(c.MaxUpdates, 10) }},
		{Name: "patience", Kind: Int, Scope: Shared, PerEntry: true, Default: "0", Note: "0 = off", Help: "stop after this many epochs without a better dev FER61",
			set: intOpt("patience", 0, -1, func(c *Config) *int { return &c.Patience }),
			get: func(c Config) string { return itoa(c.Patience) }},
		{Name: "log-horizon", Kind: Int, Scope: TrainOnly, Default: "0", Note: "0 = off", Help: "every N updates, measure the gradient horizon on 8 dev sentences into NAME.horizon.jsonl",
			set: int64Opt("log-horizon", func(c *Config) *int64 { return &c.LogHorizon }),
			get: func(c Config) string { return strconv.FormatInt(c.LogHorizon, 10) }},
	}
}

// LookupOption returns the option called name.
func LookupOption(name string) (Option, bool) {
	for _, o := range Options() {
		if o.Name == name {
			return o, true
		}
	}
	return Option{}, false
}

// WriteOptionTable writes the options as a Markdown table (the README's).
func WriteOptionTable(b *strings.Builder) {
	b.WriteString("| option | type | default | per entry | what |\n|---|---|---|---|---|\n")
	for _, o := range Options() {
		flag := "`--" + o.Name + "`"
		if o.Scope == Shared {
			flag += " (train, compare)"
		}
		entry := ""
		if o.PerEntry {
			entry = "yes"
		}
		def := o.Default
		if o.Note != "" {
			def = o.Note
		}
		if def == "" {
			def = "–"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", flag, o.Kind, def, entry, o.Help)
	}
}

// A ShapeConflict is a network option given beside Config.Init whose value
// differs from the checkpoint's network, which would otherwise be ignored:
// the shape comes from the checkpoint.
type ShapeConflict struct {
	Option string // "hidden", "layers" or "peepholes"
	// Checkpoint and Given are the checkpoint's value and the one given.
	Checkpoint, Given lstm.Config
}

// InitShapeConflicts loads c.Init and returns, for each of hidden, layers
// and peepholes that given reports as set explicitly, a conflict when c's
// value differs from the checkpoint's. Without Init it returns nothing.
func InitShapeConflicts(c Config, given func(option string) bool) ([]ShapeConflict, error) {
	if c.Init == "" || !(given("hidden") || given("layers") || given("peepholes")) {
		return nil, nil
	}
	m, _, err := lstm.Load(c.Init)
	if err != nil {
		return nil, err
	}
	mc := m.Config()
	want := lstm.Config{Hidden: c.Hidden, Layers: c.Layers, Peepholes: c.Peepholes}
	var out []ShapeConflict
	for _, o := range []struct {
		name string
		same bool
	}{{"hidden", c.Hidden == mc.Hidden}, {"layers", c.Layers == mc.Layers}, {"peepholes", c.Peepholes == mc.Peepholes}} {
		if given(o.name) && !o.same {
			out = append(out, ShapeConflict{Option: o.name, Checkpoint: mc, Given: want})
		}
	}
	return out, nil
}
