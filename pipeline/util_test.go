package pipeline

import "strconv"

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }
