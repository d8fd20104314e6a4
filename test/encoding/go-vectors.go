// Generates go-vectors.json: how Go's encoding/json encodes awkward strings and floats.
// The TypeScript encoder (src/encoding/json.ts) must reproduce every case.
// Regenerate: go run test/encoding/go-vectors.go > test/encoding/go-vectors.json
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
)

type strCase struct {
	InputHex string `json:"input_hex"`
	Encoded  string `json:"encoded"`
}

type numCase struct {
	Input   string `json:"input"` // as JavaScript's String(x) prints it (round-trips)
	Encoded string `json:"encoded"`
}

func main() {
	strs := [][]byte{
		[]byte(""), []byte("plain ascii"), []byte(`quote " backslash \ slash /`),
		[]byte("\n\r\t\b\f\x00\x01\x1f\x7f"), []byte("<script>&amp;</script>"),
		[]byte("caf\u00e9 cafe\u0301 \u2028 \u2029 \u00a0 \ufeff"), []byte("emoji \U0001F600 cjk \u4e2d"),
		{0xff}, {'x', 0xff, 'y'}, {0xc3, 0x28}, {0xe2, 0x82}, {0xf0, 0x9f, 0x98}, {0xed, 0xa0, 0x80},
		{0xe0, 0x80, 0xaf}, {0xc0, 0xaf}, {0xf4, 0x90, 0x80, 0x80}, {0xef, 0xbf, 0xbd},
		[]byte("we:ird new\nline\ttab"),
	}
	nums := []float64{0, 1, -1, 2, 0.5, 1.5, 100, 1e6, 1e20, 1e21, 1.5e21, 1e-6, 1e-7, 1.234e-7, 123456789, 9007199254740993,
		0.1, 0.2, 0.30000000000000004, 1e300, -1e-300, 5e-324, math.MaxFloat64, 123.456, 1e15, 1e16, 12345678901234567890}
	out := struct {
		Strings []strCase `json:"strings"`
		Numbers []numCase `json:"numbers"`
	}{}
	for _, s := range strs {
		b, _ := json.Marshal(string(s))
		out.Strings = append(out.Strings, strCase{hex.EncodeToString(s), string(b)})
	}
	for _, f := range nums {
		b, _ := json.Marshal(f)
		out.Numbers = append(out.Numbers, numCase{fmt.Sprint(f), string(b)})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}
