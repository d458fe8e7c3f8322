package teams

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

// readBody reads what io.ReadAll reads, whatever the length the request
// claims: shorter, exact, longer, unknown, and in pieces.
func TestReadBodyReadsWhatReadAllReads(t *testing.T) {
	body := []byte(strings.Repeat("activity ", 200))
	for _, size := range []int64{-1, 0, 1, 100, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 1, 4 << 10, maxBody} {
		for name, r := range map[string]func() io.Reader{
			"whole":    func() io.Reader { return bytes.NewReader(body) },
			"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(body)) },
			"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(body)) },
		} {
			got, err := readBody(r(), size)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("size %d, %s: %d bytes, %v", size, name, len(got), err)
			}
		}
	}
	boom := errors.New("boom")
	if _, err := readBody(iotest.TimeoutReader(iotest.OneByteReader(bytes.NewReader(body))), int64(len(body))); !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("a failing read: %v", err)
	}
	if _, err := readBody(iotest.ErrReader(boom), 10); !errors.Is(err, boom) {
		t.Fatalf("an error at once: %v", err)
	}
}

// A body over the limit is still refused when its Content-Length claims
// less.
func TestReadBodyKeepsTheLimit(t *testing.T) {
	w := httptest.NewRecorder()
	big := bytes.Repeat([]byte("x"), maxBody+1)
	_, err := readBody(http.MaxBytesReader(w, io.NopCloser(bytes.NewReader(big)), maxBody), 1000)
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		t.Fatalf("%v, want a MaxBytesError", err)
	}
}
