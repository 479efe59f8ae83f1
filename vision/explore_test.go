package vision

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify/internal/testenv"
)

func savePNG(t *testing.T, path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	png.Encode(f, img)
}

func TestExplore(t *testing.T) {
	if os.Getenv("VISION_EXPLORE") == "" {
		t.Skip()
	}
	e, err := Open(Config{ModelDir: testenv.ModelDir(t), LibPath: testenv.ORTLib(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ds := testenv.Datasets(t)
	files := []string{
		"faces/lfw-dev/Abdullah_Gul/Abdullah_Gul_0001.jpg",
		"faces/deepface/img1.jpg", "faces/deepface/couple.jpg", "faces/deepface/img47.jpg",
		"antispoof/silent-face-sample/image_F1.jpg", "antispoof/silent-face-sample/image_F2.jpg", "antispoof/silent-face-sample/image_T1.jpg",
		"antispoof/nuaa/live/0001/0001_00_00_01_0.jpg",
	}
	os.MkdirAll("/tmp/vx", 0o755)
	for k, f := range files {
		data, err := os.ReadFile(filepath.Join(ds, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := Decode(data)
		if err != nil {
			t.Fatal(f, err)
		}
		faces, err := e.Faces(img, NeedEmbedding|NeedLive|NeedQuality)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%s %dx%d faces=%d\n", f, img.Rect.Dx(), img.Rect.Dy(), len(faces))
		for i, fc := range faces {
			out, _ := e.liveness.run(chw(liveCrop(img, fc.Box), 128, 128, [3]int{2, 1, 0}, 0, 1))
			fmt.Printf("  box=%v score=%.3f live=%.3f raw=%v q=%+v\n", fc.Box, fc.Score, fc.Live, softmax(out[0]), fc.Quality)
			if i < 2 {
				savePNG(t, fmt.Sprintf("/tmp/vx/%d_%d_aligned.png", k, i), rgbImage(alignFace(img, fc.Landmarks), 112, 112))
				savePNG(t, fmt.Sprintf("/tmp/vx/%d_%d_live.png", k, i), rgbImage(liveCrop(img, fc.Box), 128, 128))
				// landmarks overlay on the square crop
				cx, cy, s := squareBox(fc.Box)
				x0, y0 := cx-s*0.75, cy-s*0.75
				sz := 256
				rgb := warpRGB(img, rectAffine(x0, y0, x0+1.5*s, y0+1.5*s, sz, sz), sz, sz)
				ov := rgbImage(rgb, sz, sz)
				for _, p := range fc.Landmarks {
					px := int((float64(p.X) - x0) / (1.5 * s) * float64(sz))
					py := int((float64(p.Y) - y0) / (1.5 * s) * float64(sz))
					for dx := -1; dx <= 1; dx++ {
						for dy := -1; dy <= 1; dy++ {
							if image.Pt(px+dx, py+dy).In(ov.Rect) {
								o := ov.PixOffset(px+dx, py+dy)
								ov.Pix[o], ov.Pix[o+1], ov.Pix[o+2] = 0, 255, 0
							}
						}
					}
				}
				savePNG(t, fmt.Sprintf("/tmp/vx/%d_%d_lm.png", k, i), ov)
			}
		}
	}
}

func TestExploreEyes(t *testing.T) {
	if os.Getenv("VISION_EXPLORE") == "" {
		t.Skip()
	}
	e, err := Open(Config{ModelDir: testenv.ModelDir(t), LibPath: testenv.ORTLib(t)})
	if err != nil {
		t.Fatal(err)
	}
	ds := testenv.Datasets(t)
	files, _ := filepath.Glob(filepath.Join(ds, "faces/deepface/img*.jpg"))
	files = append(files, filepath.Join(ds, "antispoof/silent-face-sample/image_T1.jpg"))
	var row []uint8
	k := 0
	for _, f := range files[:24] {
		data, _ := os.ReadFile(f)
		img, err := Decode(data)
		if err != nil {
			continue
		}
		faces, _ := e.Faces(img, NeedLandmarks)
		if len(faces) == 0 {
			continue
		}
		lm := &faces[0].Landmarks
		for _, eye := range [2][6]int{{36, 37, 38, 39, 40, 41}, {42, 43, 44, 45, 46, 47}} {
			c := meanPt(lm, eye[1], eye[2], eye[4], eye[5])
			s := 1.6 * float64(lm[eye[3]].X-lm[eye[0]].X)
			rgb := warpRGB(img, rectAffine(c[0]-s/2, c[1]-s/2, c[0]+s/2, c[1]+s/2, 24, 24), 24, 24)
			out, _ := e.eye.run(gray(rgb, 1.0/255))
			fmt.Printf("%d %s %v\n", k, filepath.Base(f), softmax(out[0]))
			k++
			row = append(row, rgb...)
		}
	}
	// row of 24x24 tiles stacked vertically
	savePNG(t, "/tmp/vx/eyes.png", rgbImage(row, 24, len(row)/72))
}

func TestExploreLMStats(t *testing.T) {
	if os.Getenv("VISION_EXPLORE") == "" {
		t.Skip()
	}
	e, err := Open(Config{ModelDir: testenv.ModelDir(t), LibPath: testenv.ORTLib(t)})
	if err != nil {
		t.Fatal(err)
	}
	ds := testenv.Datasets(t)
	files, _ := filepath.Glob(filepath.Join(ds, "faces/lfw-dev/*/*_0001.jpg"))
	var sx, sy, ss, n float64
	for _, f := range files[:300] {
		data, _ := os.ReadFile(f)
		img, _ := Decode(data)
		faces, _ := e.Faces(img, NeedLandmarks)
		if len(faces) == 0 {
			continue
		}
		fc := faces[PickFace(faces, 250, 250, PickCentral)]
		cx, cy, s := squareBox(fc.Box)
		lx, ly, ext := lmFrame(&fc.Landmarks)
		sx += (lx - cx) / s
		sy += (ly - cy) / s
		ss += ext / s
		n++
	}
	fmt.Printf("offx=%.4f offy=%.4f ratio=%.4f n=%v\n", sx/n, sy/n, ss/n, n)
}
