package ellipsis

import (
	"reflect"
	"testing"
)

func TestExpand(t *testing.T) {
	cases := map[string][]string{
		"/data":                               {"/data"},
		"/data-{1...3}":                       {"/data-1", "/data-2", "/data-3"},
		"/d{01...03}":                         {"/d01", "/d02", "/d03"},
		"http://h{1...2}:9000/d{1...2}":       {"http://h1:9000/d1", "http://h1:9000/d2", "http://h2:9000/d1", "http://h2:9000/d2"},
		"https://kes{1...2}.example.net:7373": {"https://kes1.example.net:7373", "https://kes2.example.net:7373"},
	}
	for in, want := range cases {
		got, err := Expand(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Expand(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := Expand("/d{3...1}"); err == nil {
		t.Error("descending range: want error")
	}
}
