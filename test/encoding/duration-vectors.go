// Generates duration-vectors.json: what Go's time.ParseDuration returns (nanoseconds or the
// error text) and what Duration.String() prints. src/encoding/duration.ts must reproduce every
// case; our extra units d and w are tested separately (Go rejects them).
// Regenerate: go run test/encoding/duration-vectors.go > test/encoding/duration-vectors.json
package main

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"time"
)

type parseCase struct {
	Input string `json:"input"`
	Ns    string `json:"ns,omitempty"` // decimal; a string because it exceeds 2^53
	Error string `json:"error,omitempty"`
}

type formatCase struct {
	Ns     string `json:"ns"`
	String string `json:"string"`
}

func main() {
	inputs := []string{
		"0", "+0", "-0", "0s", "90s", "45m", "1h30m", "1.5h", "-1h", "+5s", "1h1m1s1ms1us1ns",
		"300ms", "-1.5h", "2h45m", "1µs", "1μs", "1us", "1ns", ".5s", "5.s", "1.000000001s",
		"0.3333333333333333333h", "100.00100s", "1.0000000000000000000000001h", "3000000h",
		"9223372036854775807ns", "9223372036854775808ns", "-9223372036854775808ns",
		"-9223372036854775809ns", "9223372036s", "9223372037s", "2562047h47m16.854775807s",
		"2562047h47m16.854775808s", "-2562047h47m16.854775808s", "0.9223372036854775807s",
		"99999999999999999999s", "1.00000000000000000000001s", "52763797000ns", "1h-1m",
		"", "3", "-", "+", "s", ".", ".s", "-.s", "1.5", "1x", "1 s", " 1s", "1s ", "1d", "1w",
		"1y", "1hh", "1H", "1µ", "1mss", "1e3s", "0x10s", "1s1", "--1s", "-+1s", "1.2.3s",
		"1\"s", "1\\s", "1\x00s", "1é", "1s\n", "0.000000000001s", "1.9999999999ns",
		"15m0.5s", "9007199254740993ns", "1.3h", "2.7m", "0.1s", "1.1ms", "123.456789012h",
	}
	values := []int64{
		0, 1, 999, 1000, 1001, 1500, 999999, 1000000, 1500000, 999999999, 1000000000,
		1500000000, 59999999999, 60000000000, 61000000000, 3599999999999, 3600000000000,
		5400000000000, 86400000000000, 604800000000000, 90061001001001, -1, -1500000000,
		-5400000000000, math.MaxInt64, math.MinInt64, 100 * int64(time.Hour), 1234567890123,
	}
	out := struct {
		Parse  []parseCase  `json:"parse"`
		Format []formatCase `json:"format"`
	}{}
	for _, in := range inputs {
		d, err := time.ParseDuration(in)
		c := parseCase{Input: in}
		if err != nil {
			c.Error = err.Error()
		} else {
			c.Ns = strconv.FormatInt(int64(d), 10)
		}
		out.Parse = append(out.Parse, c)
	}
	for _, v := range values {
		out.Format = append(out.Format, formatCase{strconv.FormatInt(v, 10), time.Duration(v).String()})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}
