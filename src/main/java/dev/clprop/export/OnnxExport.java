package dev.clprop.export;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.gson.Gson;
import com.google.protobuf.ByteString;
import dev.clprop.Model;
import dev.clprop.error.ClpropException;
import dev.clprop.io.AtomicFiles;
import dev.clprop.model.Architecture;
import dev.clprop.model.DataSchema;
import dev.clprop.model.LayerSpec;
import dev.clprop.model.OnnxNode;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.model.Standardizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model as ONNX (opset 13), for ONNX Runtime and every other ONNX consumer. The graph takes
 * {@value #INPUT} (float, batch × inputs, the batch dimension dynamic) and gives {@value #OUTPUT}
 * (batch × outputs), the same numbers as {@link Model#predict(float[][])}:
 * <ul>
 *   <li>stored standardization as {@code Sub} and {@code Div} nodes ({@code (x − input_shift) / input_scale});</li>
 *   <li>each dense layer as {@code Gemm(h, W, b, transB=1)} ({@code h·Wᵀ + b}; no C without a bias);</li>
 *   <li>its activation as {@code Relu}, {@code LeakyRelu(alpha=0.01)}, {@code Sigmoid}, {@code Tanh},
 *       {@code Softmax(axis=1)}, nothing for linear, and as the nodes of their formulas gelu
 *       ({@code 0.5·z·(1 + Erf(z·√½))}, opset 13 having no Gelu) and silu ({@code z·Sigmoid(z)});</li>
 *   <li>batchnorm as {@code BatchNormalization} with its running statistics (evaluation mode);</li>
 *   <li>layernorm as the nodes of its formula ({@code ReduceMean}, {@code Sub}, {@code Mul}, {@code Add},
 *       {@code Sqrt}, {@code Div}; opset 13 has no LayerNormalization);</li>
 *   <li>dropout left out (it is the identity outside training);</li>
 *   <li>any other layer refused, by name.</li>
 * </ul>
 * The metadata holds {@code clprop.spec}, {@code clprop.loss}, {@code clprop.task} and, when known,
 * {@code clprop.class_names} and {@code clprop.feature_names} as JSON arrays.
 * <p>Needs {@code org.tribuo:tribuo-util-onnx} (ONNX's protobuf classes) and Gson on the classpath;
 * both are optional dependencies of the library and inside {@code clprop.jar}.
 */
public final class OnnxExport {
    /** The graph's input: float, batch × inputs. */
    public static final String INPUT = "input";
    /** The graph's output: float, batch × outputs. */
    public static final String OUTPUT = "output";
    static final int OPSET = 13;
    /** ONNX IR version 7 goes with opset 13. */
    static final long IR_VERSION = 7;

    private OnnxExport() {
    }

    /** Writes {@code model} as ONNX to {@code file}, atomically. */
    public static void write(Model model, Path file) {
        requireOptionalDependencies();
        byte[] bytes = toProto(model).toByteArray();
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** Artifacts the export needs beside the library: (class that proves it present, Maven coordinates). */
    static final String[][] OPTIONAL = {
            {"ai.onnx.proto.OnnxMl", "org.tribuo:tribuo-util-onnx:4.3.2"},
            {"com.google.protobuf.ByteString", "com.google.protobuf:protobuf-java:3.25.6"},
            {"com.google.gson.Gson", "com.google.code.gson:gson:2.11.0"}};

    /**
     * A one-line {@link ClpropException} naming what to add, instead of a NoClassDefFoundError from deep
     * inside the export: the ONNX classes are optional dependencies of the library.
     */
    static void requireOptionalDependencies() {
        List<String> missing = new ArrayList<>();
        for (String[] o : OPTIONAL) {
            try {
                Class.forName(o[0], false, OnnxExport.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                missing.add(o[1]);
            }
        }
        if (!missing.isEmpty()) {
            throw new ClpropException("ONNX export needs " + String.join(", ", missing) + " on the classpath (optional dependencies of"
                    + " dev.clprop:clprop; clprop.jar has them)");
        }
    }

    /**
     * The ONNX model, for callers that hand it on without a file.
     *
     * @param model the model to export
     * @return its ONNX graph with metadata
     */
    public static ModelProto toProto(Model model) {
        requireOptionalDependencies();
        Architecture arch = model.architecture();
        Parameters p = model.exportParameters(); // target scaling folded into the output layer: outputs in target units
        GraphProto.Builder g = GraphProto.newBuilder().setName("clprop " + arch.spelling());
        g.addInput(valueInfo(INPUT, arch.inputs()));
        g.addOutput(valueInfo(OUTPUT, arch.outputs()));

        String h = INPUT;
        Standardizer s = model.standardizer();
        if (s != null) {
            g.addInitializer(tensor("input_shift", s.shift(), s.features()));
            g.addInitializer(tensor("input_scale", s.scale(), s.features()));
            g.addNode(node("Sub", "standardize_sub", List.of(h, "input_shift"), "centred"));
            g.addNode(node("Div", "standardize_div", List.of("centred", "input_scale"), "standardized"));
            h = "standardized";
        }
        int width = arch.inputs(), ordinal = 0;
        Set<String> constants = new HashSet<>();
        for (int i = 1; i <= arch.layers().size(); i++) {
            LayerSpec l = arch.layers().get(i - 1);
            boolean last = i == arch.layers().size();
            if (l.hasParameters()) ordinal++;
            List<ParamShape> shapes = l.parameterShapes(width, ordinal), buffers = l.bufferShapes(width, ordinal);
            List<OnnxNode> nodes = l.onnxNodes(width, shapes, buffers);
            if (nodes.isEmpty() && last) nodes = List.of(OnnxNode.of("Identity", OnnxNode.INPUT));
            for (ParamShape t : concat(shapes, buffers)) {
                g.addInitializer(t.vector() ? tensor(t.name(), p.get(t.name()), t.size()) : tensor(t.name(), p.get(t.name()), t.rows(), t.cols()));
            }
            if (!nodes.isEmpty()) h = nodes(g, nodes, h, last ? OUTPUT : "h" + i, "layer" + i, constants);
            width = l.outputWidth(width);
        }

        String version = OnnxExport.class.getPackage().getImplementationVersion();
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("clprop")
                .setProducerVersion(version == null ? "development build" : version)
                .setDocString("Multilayer perceptron " + arch.spelling() + " trained with clprop")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(g);
        DataSchema schema = model.schema();
        Gson gson = new Gson();
        meta(m, "clprop.spec", arch.spelling());
        meta(m, "clprop.loss", model.loss() == null ? "" : model.loss().toString());
        if (schema.task() != null) meta(m, "clprop.task", schema.task().spelling());
        if (schema.classNames() != null) meta(m, "clprop.class_names", gson.toJson(schema.classNames()));
        if (schema.featureNames() != null) meta(m, "clprop.feature_names", gson.toJson(schema.featureNames()));
        return m.build();
    }

    private static void meta(ModelProto.Builder m, String key, String value) {
        m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
    }

    private static ValueInfoProto valueInfo(String name, int width) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width)).build();
        TypeProto type = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                .setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }

    /** A float32 initializer, little-endian raw data as the ONNX spec requires. */
    private static List<ParamShape> concat(List<ParamShape> a, List<ParamShape> b) {
        List<ParamShape> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /**
     * Adds a layer's described nodes ({@link OnnxNode}) reading {@code input} and writing {@code output}:
     * references to earlier nodes become intermediate names under {@code prefix}, state references the
     * initializers of that name, constants shared initializers. Returns {@code output}.
     */
    private static String nodes(GraphProto.Builder g, List<OnnxNode> nodes, String input, String output, String prefix, Set<String> constants) {
        for (int k = 0; k < nodes.size(); k++) {
            OnnxNode n = nodes.get(k);
            List<String> in = new ArrayList<>();
            for (String s : n.inputs()) {
                if (s.equals(OnnxNode.INPUT)) {
                    in.add(input);
                } else if (s.startsWith("$")) {
                    in.add(prefix + "_" + s.substring(1));
                } else if (s.startsWith("@")) {
                    in.add(s.substring(1));
                } else {
                    String c = "const_" + s.replace('-', 'm').replace('.', 'p');
                    if (constants.add(c)) g.addInitializer(tensor(c, new float[]{Float.parseFloat(s)}, 1));
                    in.add(c);
                }
            }
            NodeProto.Builder b = node(n.op(), prefix + "_node" + k, in, k == nodes.size() - 1 ? output : prefix + "_" + k);
            for (Map.Entry<String, Object> a : n.attributes().entrySet()) {
                Object v = a.getValue();
                b.addAttribute(v instanceof Float f ? floatAttr(a.getKey(), f) : v instanceof long[] ints ? intsAttr(a.getKey(), ints) : intAttr(a.getKey(), (Long) v));
            }
            g.addNode(b);
        }
        return output;
    }

    private static TensorProto tensor(String name, float[] values, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber())
                .setRawData(ByteString.copyFrom(b.array()));
        for (int d : dims) t.addDims(d);
        return t.build();
    }

    private static NodeProto.Builder node(String op, String name, List<String> inputs, String output) {
        return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output);
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    private static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }
}
