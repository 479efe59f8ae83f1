package vision

// InitORT initialises the process-wide ONNX Runtime environment from lib (""
// = DefaultORTLib()) without loading any face model, for other packages that run their own
// ONNX sessions (idcard's PP-OCR). It shares Open's once-per-process initialisation: whichever
// runs first decides the library; later calls return the first outcome.
func InitORT(lib string) error {
	if lib == "" {
		lib = DefaultORTLib()
	}
	return initEnv(lib)
}
