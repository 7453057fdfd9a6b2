package f32

import "fmt"

// An implementation is one set of kernels. The best one the CPU supports is
// chosen once at start-up; tests switch between them with useImpl.
type implementation int

const (
	implPortable implementation = iota
	implAVX2                    // AVX2 + FMA, 8 lanes
	implAVX512                  // AVX-512F, 16 lanes
)

// lanes is the float32 lanes of i's vectors (1 for portable).
func (i implementation) lanes() int {
	switch i {
	case implAVX2:
		return 8
	case implAVX512:
		return 16
	}
	return 1
}

func (i implementation) String() string {
	switch i {
	case implAVX2:
		return "avx2"
	case implAVX512:
		return "avx512"
	}
	return "portable"
}

// impl is the only package-level variable: it is written at
// initialisation and by Use (tests and benchmarks), never concurrently
// with a kernel call.
var impl = bestImpl()

// Implementation names the kernel set in use: "portable", "avx2" or
// "avx512". Benchmarks and `phoneme bench` print it.
func Implementation() string { return impl.String() }

// Implementations lists the kernel sets this CPU can run, portable first.
func Implementations() []string {
	var names []string
	for _, i := range available() {
		names = append(names, i.String())
	}
	return names
}

// Use switches every kernel to the named implementation ("portable",
// "avx2" or "avx512") and returns a function restoring the previous one.
// It exists so that tests and benchmarks in other packages can compare
// implementations (for instance, training curves with portable and fast
// kernels); it must not be called while kernels run on other goroutines.
func Use(name string) (restore func(), err error) {
	for _, i := range available() {
		if i.String() == name {
			return useImpl(i), nil
		}
	}
	return nil, fmt.Errorf("f32: implementation %q not available on this CPU (have %v)", name, Implementations())
}

// available lists the implementations this CPU can run, portable first.
func available() []implementation {
	out := []implementation{implPortable}
	for _, i := range []implementation{implAVX2, implAVX512} {
		if supported(i) {
			out = append(out, i)
		}
	}
	return out
}

// useImpl switches to i for a test or benchmark and returns a function
// restoring the previous choice.
func useImpl(i implementation) (restore func()) {
	if !supported(i) {
		panic("f32: implementation " + i.String() + " not supported here")
	}
	prev := impl
	impl = i
	return func() { impl = prev }
}
