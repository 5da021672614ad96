package bench

import (
	"errors"
	"strings"
	"testing"
)

func TestSumMetrics(t *testing.T) {
	in := `# HELP pixcdn_origin_fetches_total Origin fetches.
# TYPE pixcdn_origin_fetches_total counter
pixcdn_origin_fetches_total{result="ok"} 12
pixcdn_origin_fetches_total{result="error",msg="a \"}\" b"} 3 1700000000000
pixcdn_origin_fetches_total_other 100
pixcdn_transforms_total{format="webp"} 2.5e1
go_goroutines 42
pixcdn_requests_total{cache="hit",code="200"} 1
pixcdn_requests_total{code="304", cache="hit"} 2
`
	got, err := SumMetrics(strings.NewReader(in), MetricOriginFetches, MetricTransforms, MetricRequests, "absent")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		MetricOriginFetches: 15, MetricTransforms: 25, MetricRequests: 3,
		MetricOriginFetches + `{result="ok"}`: 12, MetricOriginFetches + `{result="error"}`: 3,
		MetricOriginFetches + `{msg="a "}" b"}`: 3, MetricTransforms + `{format="webp"}`: 25,
		MetricRequests + `{cache="hit"}`: 3, MetricRequests + `{code="200"}`: 1, MetricRequests + `{code="304"}`: 2,
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestSumMetricsRejectsGarbage(t *testing.T) {
	for _, in := range []string{"x{a=\"1\" 3\n", "x\n", "x{} abc\n", "x 1 2 3\n", "{a=\"b\"} 1\n", "x{a=1} 2\n", "x{a=\"1\\\"} 2\n"} {
		if _, err := SumMetrics(strings.NewReader(in), "x"); !errors.Is(err, ErrBadMetrics) {
			t.Errorf("SumMetrics(%q) err = %v, want ErrBadMetrics", in, err)
		}
	}
}

func FuzzSumMetrics(f *testing.F) {
	f.Add("a{b=\"c\\\"}\"} 1\n# x\nb 2 3\n")
	f.Add("a NaN\na +Inf\n")
	f.Fuzz(func(t *testing.T, in string) {
		if _, err := SumMetrics(strings.NewReader(in), "a", "b"); err != nil && !errors.Is(err, ErrBadMetrics) {
			t.Fatalf("error %v is not ErrBadMetrics", err)
		}
	})
}
