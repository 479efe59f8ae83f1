package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/faceverify/faceverify/idcard"
)

func main() {
	r, err := idcard.Open(idcard.Config{Workers: 1})
	if err != nil {
		panic(err)
	}
	labels, _ := idcard.LoadLabels("/work/shared/datasets/idcards")
	for _, l := range labels {
		data, _ := os.ReadFile(l.Path)
		for _, side := range []idcard.Side{idcard.Front, idcard.Back} {
			t0 := time.Now()
			o, _ := r.Read(context.Background(), side, data, 0)
			fmt.Printf("%s %s %v %v\n  got  %+v\n", l.Path[len(l.Path)-20:], side, o.Result, time.Since(t0).Milliseconds(), o.Fields)
		}
		fmt.Printf("  want %+v\n", l.Truth)
	}
}
