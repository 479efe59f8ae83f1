// Package idcard reads Chinese resident identity cards (居民身份证, group=1): it locates and
// rectifies a card in a photo, tells the portrait side (front) from the emblem side (back),
// reads the printed fields with PaddleOCR PP-OCRv4 on ONNX Runtime (tesseract chi_sim as a
// fallback engine), crops the portrait,
// validates the citizen number (GB 11643-1999) and the consistency of the printed fields,
// and computes the legality scores (Photocopy, Screen, Edited, Temporary_ID_Photo, ID_Photo).
//
// Outcomes are FaceID Lite results (the 3100/3200 family of faceverify.Result); the package
// never decides a verification verdict, never logs personal data (names, numbers, images)
// and keeps nothing between calls. cgo: tesseract here, ONNX Runtime via onnxruntime_go; face detection
// on the portrait is delegated to vision. See docs/idcard.md for the method and its limits.
package idcard
