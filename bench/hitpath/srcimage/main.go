// Command srcimage writes the hit-path benchmark's source photo: a
// deterministic, noisy 1024×768 JPEG (noise keeps encoders honest).
package main

import (
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"log"
	"math/rand/v2"
	"os"
)

func main() {
	out := flag.String("o", "photo.jpg", "output file")
	flag.Parse()
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	for y := 0; y < 768; y++ {
		for x := 0; x < 1024; x++ {
			n := uint8(rng.IntN(48))
			img.Set(x, y, color.RGBA{uint8(x/4) + n, uint8(y/3) + n, uint8((x+y)/8) + n, 255})
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
