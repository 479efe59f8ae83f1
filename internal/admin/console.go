package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/faceverify/faceverify/internal/app"
	"github.com/faceverify/faceverify/verify"
)

// Stdin is where `admin user create` reads the password from (tests replace it).
var Stdin io.Reader = os.Stdin

// runConsole runs the console's admin commands: `user create` and `audit list`.
func runConsole(ctx context.Context, a *app.App, cmd, name, target, tenant string, enc *json.Encoder) error {
	if a.Console == nil {
		return errors.New("admin: this store keeps no console data")
	}
	switch cmd {
	case "user create":
		if name == "" {
			return errors.New("admin user create: --name is required")
		}
		pw, err := readPassword(Stdin)
		if err != nil {
			return err
		}
		generated := pw == ""
		if generated {
			pw = verify.RandHex(12) // 96 bits
		}
		if _, err := a.Console.CreateTenantOperator(ctx, name, pw, tenant); err != nil {
			return fmt.Errorf("admin user create: %w", err)
		}
		if generated { // printed once: only its hash is stored
			return enc.Encode(map[string]string{"name": name, "password": pw})
		}
		return enc.Encode(map[string]any{"name": name, "created": true})
	case "audit list":
		es, err := a.Console.Audit(ctx, nil, target, 0, 1000)
		if err != nil {
			return err
		}
		for _, e := range es {
			enc.Encode(map[string]any{"id": e.ID, "at": e.At.UTC().Format(time.RFC3339), "operator": e.Operator,
				"action": e.Action, "target": e.Target, "detail": e.Detail})
		}
		return nil
	}
	return errors.New(usage)
}

// readPassword reads one line from r; "" when r is a terminal (nothing piped) or empty.
func readPassword(r io.Reader) (string, error) {
	if f, ok := r.(*os.File); ok {
		st, err := f.Stat()
		if err != nil || st.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	line, err := bufio.NewReader(io.LimitReader(r, 1024)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
