package vision

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The face embedding model is exported with a fixed batch of one ([1,3,112,112] → [1,512])
// and the flip fusion runs it twice an image (the face and its mirror). batchFree rewrites
// such a model, as loaded, into one whose batch dimension is free, so both run as one batch
// of two: the same weights and operators, one session run instead of two.
//
// It changes only the shapes: the first dimension of every graph input and output (1 → a
// named dimension) and every Reshape target whose first entry is the batch (1 → 0, "copy
// the input's dimension", opset < 14 and opset ≥ 14 without allowzero alike). A graph with an
// operator whose result could depend on the batch in another way (Shape, Flatten, Gather, a
// Constant, value_info with fixed shapes …) is refused: batchFree knows only the operators
// listed in batchSafeOps. Checked by TestRewrittenModelsMatchOriginal.

// ONNX protobuf field numbers (onnx.proto3).
const (
	modelGraph       = 7
	graphNode        = 1
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13
	nodeInput        = 1
	nodeOpType       = 4
	tensorDims       = 1
	tensorDataType   = 2
	tensorName       = 8
	tensorRawData    = 9
	valueInfoType    = 2
	typeTensor       = 1
	tensorTypeShape  = 2
	shapeDim         = 1
	dimValue         = 1
	dimParam         = 2
	onnxInt64        = 7
)

// batchSafeOps are the operators that treat each batch item alone with the batch in the first
// dimension (Reshape only with the rewritten target).
var batchSafeOps = map[string]bool{"Conv": true, "PRelu": true, "Relu": true, "Add": true, "Mul": true,
	"BatchNormalization": true, "Sigmoid": true, "Reshape": true}

var errNotBatchable = errors.New("vision: model not batchable")

// pbField is one field of a protobuf message: its tag and its encoded value.
//
// The graph is edited at the wire level with google.golang.org/protobuf's protowire (no
// hand-written varint code): generated ONNX message types would add the onnx.proto schema
// and a code generator to the build for the handful of fields the rewrite touches, and a
// wire-level edit leaves every field it does not touch byte for byte as shipped.
type pbField struct {
	num protowire.Number
	typ protowire.Type
	val []byte // the encoded value (for BytesType: the payload without its length)
}

func pbParse(b []byte) ([]pbField, error) {
	var out []pbField
	for len(b) > 0 {
		n, t, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		b = b[l:]
		var m int
		f := pbField{num: n, typ: t}
		if t == protowire.BytesType {
			f.val, m = protowire.ConsumeBytes(b)
		} else {
			m = protowire.ConsumeFieldValue(n, t, b)
			if m >= 0 {
				f.val = b[:m]
			}
		}
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		b = b[m:]
		out = append(out, f)
	}
	return out, nil
}

func pbEncode(fs []pbField) []byte {
	var b []byte
	for _, f := range fs {
		b = protowire.AppendTag(b, f.num, f.typ)
		if f.typ == protowire.BytesType {
			b = protowire.AppendBytes(b, f.val)
		} else {
			b = append(b, f.val...)
		}
	}
	return b
}

func pbStrings(fs []pbField, n protowire.Number) []string {
	var s []string
	for _, f := range fs {
		if f.num == n && f.typ == protowire.BytesType {
			s = append(s, string(f.val))
		}
	}
	return s
}

// pbRewrite returns b with every bytes field numbered n replaced by edit(its payload).
func pbRewrite(b []byte, n protowire.Number, edit func([]byte) ([]byte, error)) ([]byte, error) {
	fs, err := pbParse(b)
	if err != nil {
		return nil, err
	}
	for i := range fs {
		if fs[i].num == n && fs[i].typ == protowire.BytesType {
			if fs[i].val, err = edit(fs[i].val); err != nil {
				return nil, err
			}
		}
	}
	return pbEncode(fs), nil
}

// batchFree is the model with a free batch dimension (see above).
func batchFree(model []byte) ([]byte, error) {
	return pbRewrite(model, modelGraph, batchFreeGraph)
}

func batchFreeGraph(g []byte) ([]byte, error) {
	fs, err := pbParse(g)
	if err != nil {
		return nil, err
	}
	targets := map[string]bool{} // Reshape shape inputs
	for _, f := range fs {
		switch f.num {
		case graphValueInfo:
			return nil, fmt.Errorf("%w: value_info", errNotBatchable)
		case graphNode:
			nd, err := pbParse(f.val)
			if err != nil {
				return nil, err
			}
			op := pbStrings(nd, nodeOpType)
			if len(op) != 1 || !batchSafeOps[op[0]] {
				return nil, fmt.Errorf("%w: operator %v", errNotBatchable, op)
			}
			if in := pbStrings(nd, nodeInput); op[0] == "Reshape" {
				if len(in) != 2 {
					return nil, fmt.Errorf("%w: Reshape inputs %v", errNotBatchable, in)
				}
				targets[in[1]] = true
			}
		}
	}
	for i := range fs {
		switch fs[i].num {
		case graphInput, graphOutput:
			if fs[i].val, err = pbRewrite(fs[i].val, valueInfoType, freeFirstDim); err != nil {
				return nil, err
			}
		case graphInitializer:
			t, err := pbParse(fs[i].val)
			if err != nil {
				return nil, err
			}
			if name := pbStrings(t, tensorName); len(name) == 1 && targets[name[0]] {
				if fs[i].val, err = copyBatchDim(t); err != nil {
					return nil, fmt.Errorf("Reshape target %s: %w", name[0], err)
				}
				delete(targets, name[0])
			}
		}
	}
	if len(targets) > 0 {
		return nil, fmt.Errorf("%w: Reshape target not an initializer", errNotBatchable)
	}
	return pbEncode(fs), nil
}

// freeFirstDim rewrites a TypeProto's tensor shape [1, …] into [N, …].
func freeFirstDim(typ []byte) ([]byte, error) {
	return pbRewrite(typ, typeTensor, func(tt []byte) ([]byte, error) {
		return pbRewrite(tt, tensorTypeShape, func(sh []byte) ([]byte, error) {
			fs, err := pbParse(sh)
			if err != nil {
				return nil, err
			}
			for i := range fs {
				if fs[i].num != shapeDim {
					continue
				}
				d, err := pbParse(fs[i].val)
				if err != nil {
					return nil, err
				}
				if len(d) != 1 || d[0].num != dimValue || string(d[0].val) != string(protowire.AppendVarint(nil, 1)) {
					return nil, fmt.Errorf("%w: first dimension is not 1", errNotBatchable)
				}
				fs[i].val = pbEncode([]pbField{{num: dimParam, typ: protowire.BytesType, val: []byte("N")}})
				return pbEncode(fs), nil
			}
			return nil, fmt.Errorf("%w: scalar", errNotBatchable)
		})
	})
}

// copyBatchDim rewrites an int64 Reshape target [1, …] (raw data) into [0, …].
func copyBatchDim(t []pbField) ([]byte, error) {
	for i := range t {
		if t[i].num == tensorDataType && string(t[i].val) != string(protowire.AppendVarint(nil, onnxInt64)) {
			return nil, fmt.Errorf("%w: not int64", errNotBatchable)
		}
	}
	for i := range t {
		if t[i].num != tensorRawData {
			continue
		}
		raw := append([]byte(nil), t[i].val...)
		if len(raw) < 8 || int64(binary.LittleEndian.Uint64(raw)) != 1 {
			return nil, fmt.Errorf("%w: first entry is not 1", errNotBatchable)
		}
		binary.LittleEndian.PutUint64(raw, 0)
		t[i].val = raw
		return pbEncode(t), nil
	}
	return nil, fmt.Errorf("%w: no raw data", errNotBatchable)
}

// ONNX protobuf field numbers for building nodes (onnx.proto3).
const (
	nodeOutput     = 2
	nodeName       = 3
	nodeAttribute  = 5
	attrName       = 1
	attrInt        = 3
	attrType       = 20
	attrTypeInt    = 2
	tensorFloatDat = 4
	onnxFloat      = 1
)

// preluNchwc rewrites every PRelu(x, slope) of a model into operators that ONNX Runtime's
// NCHWc layout (its fastest convolutions on x86) keeps blocked, with the same values:
//
//	p = Relu(x)                        max(x, 0)
//	q = Relu(DepthwiseConv1×1(x, −1))  max(−x, 0)
//	y = DepthwiseConv1×1(q, −slope) + p
//
// For x ≥ 0, y = x + (−slope·0) = x; for x < 0, y = 0 + (−slope)·(−x) = slope·x: each is a
// single product or a sum with zero, exact in floating point, so y is PRelu's value bit for
// bit (a zero may change sign, which no later sum can tell). PRelu itself has no NCHWc
// kernel: ORT converts the tensor back to NCHW before every PRelu and to NCHWc after it,
// which with PRelu's broadcast was 40 % of the embedding model's time (docs/perf.md).
func preluNchwc(model []byte) ([]byte, error) {
	return pbRewrite(model, modelGraph, preluNchwcGraph)
}

func preluNchwcGraph(g []byte) ([]byte, error) {
	fs, err := pbParse(g)
	if err != nil {
		return nil, err
	}
	slopes := map[string][]float32{}
	for _, f := range fs {
		if f.num == graphInitializer {
			t, err := pbParse(f.val)
			if err != nil {
				return nil, err
			}
			if name := pbStrings(t, tensorName); len(name) == 1 {
				if v, ok := floatData(t); ok {
					slopes[name[0]] = v
				}
			}
		}
	}
	var out, inits []pbField
	k := 0
	for _, f := range fs {
		if f.num != graphNode {
			out = append(out, f)
			continue
		}
		nd, err := pbParse(f.val)
		if err != nil {
			return nil, err
		}
		if op := pbStrings(nd, nodeOpType); len(op) != 1 || op[0] != "PRelu" {
			out = append(out, f)
			continue
		}
		in, o := pbStrings(nd, nodeInput), pbStrings(nd, nodeOutput)
		s, ok := slopes[in[len(in)-1]]
		if len(in) != 2 || len(o) != 1 || !ok {
			return nil, fmt.Errorf("vision: PRelu %v: slope not a float initializer", in)
		}
		c := len(s)
		pre := fmt.Sprintf("prelu_nchwc_%d_", k)
		k++
		neg, negS := make([]float32, c), make([]float32, c)
		for i := range s {
			neg[i], negS[i] = -1, -s[i]
		}
		inits = append(inits, floatInit(pre+"neg", neg, int64(c), 1, 1, 1), floatInit(pre+"negslope", negS, int64(c), 1, 1, 1))
		x := in[0]
		out = append(out,
			onnxNode(pre+"p", "Relu", []string{x}, pre+"p"),
			onnxNode(pre+"nx", "Conv", []string{x, pre + "neg"}, pre+"nx", attrI("group", c)),
			onnxNode(pre+"q", "Relu", []string{pre + "nx"}, pre+"q"),
			onnxNode(pre+"sq", "Conv", []string{pre + "q", pre + "negslope"}, pre+"sq", attrI("group", c)),
			onnxNode(pre+"y", "Add", []string{pre + "sq", pre + "p"}, o[0]),
		)
	}
	return pbEncode(append(out, inits...)), nil
}

// floatData is the values of a float tensor (raw or float_data).
func floatData(t []pbField) ([]float32, bool) {
	isFloat := false
	for _, f := range t {
		if f.num == tensorDataType {
			isFloat = string(f.val) == string(protowire.AppendVarint(nil, onnxFloat))
		}
	}
	if !isFloat {
		return nil, false
	}
	for _, f := range t {
		// raw_data, or float_data packed (proto3's encoding of a repeated float)
		if f.num == tensorRawData || f.num == tensorFloatDat && f.typ == protowire.BytesType {
			v := make([]float32, len(f.val)/4)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(f.val[4*i:]))
			}
			return v, true
		}
	}
	return nil, false
}

func floatInit(name string, v []float32, dims ...int64) pbField {
	var t []pbField
	for _, d := range dims {
		t = append(t, pbField{num: tensorDims, typ: protowire.VarintType, val: protowire.AppendVarint(nil, uint64(d))})
	}
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	t = append(t,
		pbField{num: tensorDataType, typ: protowire.VarintType, val: protowire.AppendVarint(nil, onnxFloat)},
		pbField{num: tensorName, typ: protowire.BytesType, val: []byte(name)},
		pbField{num: tensorRawData, typ: protowire.BytesType, val: raw})
	return pbField{num: graphInitializer, typ: protowire.BytesType, val: pbEncode(t)}
}

func attrI(name string, v int) pbField {
	return pbField{num: nodeAttribute, typ: protowire.BytesType, val: pbEncode([]pbField{
		{num: attrName, typ: protowire.BytesType, val: []byte(name)},
		{num: attrInt, typ: protowire.VarintType, val: protowire.AppendVarint(nil, uint64(v))},
		{num: attrType, typ: protowire.VarintType, val: protowire.AppendVarint(nil, attrTypeInt)},
	})}
}

func onnxNode(name, op string, inputs []string, output string, attrs ...pbField) pbField {
	var n []pbField
	for _, in := range inputs {
		n = append(n, pbField{num: nodeInput, typ: protowire.BytesType, val: []byte(in)})
	}
	n = append(n,
		pbField{num: nodeOutput, typ: protowire.BytesType, val: []byte(output)},
		pbField{num: nodeName, typ: protowire.BytesType, val: []byte(name)},
		pbField{num: nodeOpType, typ: protowire.BytesType, val: []byte(op)})
	n = append(n, attrs...)
	return pbField{num: graphNode, typ: protowire.BytesType, val: pbEncode(n)}
}
