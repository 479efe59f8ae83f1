package onnxrt

func getMXCSR() uint32
func setMXCSR(v uint32)

// mxcsrFTZDAZ are the SSE control bits flush-to-zero (15) and denormals-are-zero (6).
const mxcsrFTZDAZ = 1<<15 | 1<<6

// denormalsOff sets flush-to-zero and denormals-are-zero on the calling OS thread (which
// the caller has locked) and returns the function that restores its previous mode.
func denormalsOff() (restore func()) {
	old := getMXCSR()
	if old&mxcsrFTZDAZ == mxcsrFTZDAZ {
		return func() {}
	}
	setMXCSR(old | mxcsrFTZDAZ)
	return func() { setMXCSR(old) }
}
