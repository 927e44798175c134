package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
)

// ImageStats summarises a screenshot: how many distinct colours (quantised to
// 4 bits per channel) and the share of pixels that differ from the most
// common colour. A blank or failed WebGL canvas has one colour.
type ImageStats struct {
	Width, Height int
	Colours       int
	NonDominant   float64
}

// Stats decodes a PNG and computes its ImageStats.
func Stats(data []byte) (ImageStats, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return ImageStats{}, fmt.Errorf("e2e: decoding png: %w", err)
	}
	b := img.Bounds()
	counts := map[uint16]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[quant(img, x, y)]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	total := b.Dx() * b.Dy()
	return ImageStats{Width: b.Dx(), Height: b.Dy(), Colours: len(counts), NonDominant: 1 - float64(top)/float64(max(total, 1))}, nil
}

// Difference returns the share of pixels whose quantised colour differs between two same-sized PNGs.
func Difference(a, b []byte) (float64, error) {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return 0, fmt.Errorf("e2e: decoding first png: %w", err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("e2e: decoding second png: %w", err)
	}
	if ia.Bounds() != ib.Bounds() {
		return 1, nil
	}
	r := ia.Bounds()
	diff := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if quant(ia, x, y) != quant(ib, x, y) {
				diff++
			}
		}
	}
	return float64(diff) / float64(max(r.Dx()*r.Dy(), 1)), nil
}

func quant(img image.Image, x, y int) uint16 {
	r, g, b, _ := img.At(x, y).RGBA()
	return uint16(r>>12)<<8 | uint16(g>>12)<<4 | uint16(b>>12)
}
