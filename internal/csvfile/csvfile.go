// Package csvfile reads a whole CSV file (a dataset's labels.csv, a split list): the one
// open-read-close the vision, speech and corpus tools share. The caller reads the header
// row and the columns itself.
package csvfile

import (
	"encoding/csv"
	"os"
)

// Read returns every record of the CSV file at path, the header row first.
func Read(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return csv.NewReader(f).ReadAll()
}
