package media

import (
	"os"
	"syscall"
)

// setPipeSize asks the kernel for an n-byte pipe buffer (best effort).
func setPipeSize(f *os.File, n int) {
	const fSetPipeSz = 1031 // F_SETPIPE_SZ
	syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), fSetPipeSz, uintptr(n))
}
