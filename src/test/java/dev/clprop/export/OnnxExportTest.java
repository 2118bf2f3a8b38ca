package dev.clprop.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.clprop.Model;
import dev.clprop.Trainer;
import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.loss.Loss;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Activation;
import dev.clprop.model.Architecture;
import dev.clprop.model.DataSchema;
import dev.clprop.model.Parameters;
import dev.clprop.model.Standardizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exported models run by ONNX Runtime, the real consumer, give what clprop's predict gives. */
public class OnnxExportTest {
    static final double TOL = 1e-5;

    @TempDir
    Path dir;

    /** ONNX Runtime's outputs for {@code rows}, from the exported file. */
    public static float[][] runOnnx(Path file, float[][] rows) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(file.toString(), new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, rows);
             OrtSession.Result r = s.run(Map.of(OnnxExport.INPUT, in))) {
            return (float[][]) r.get(OnnxExport.OUTPUT).orElseThrow().getValue();
        }
    }

    static float[][] rows(Random rnd, int n, int f) {
        float[][] x = new float[n][f];
        for (float[] r : x) for (int j = 0; j < f; j++) r[j] = (float) (2 * rnd.nextGaussian());
        return x;
    }

    static Stream<Arguments> networks() {
        List<Arguments> out = new ArrayList<>();
        // every element-wise activation, a new one included: its ONNX form is Activation.onnxNodes
        for (Activation hidden : java.util.Arrays.stream(Activation.values()).filter(a -> a != Activation.SOFTMAX).toArray(Activation[]::new)) {
            for (Activation last : new Activation[]{Activation.SOFTMAX, Activation.SIGMOID, Activation.LINEAR, Activation.GELU}) {
                for (boolean bias : new boolean[]{true, false}) {
                    for (boolean standardize : new boolean[]{false, true}) out.add(Arguments.of(hidden, last, bias, standardize));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} hidden, {1} output, bias {2}, standardized {3}")
    @MethodSource("networks")
    void onnxRuntimeGivesPredictsOutputs(Activation hidden, Activation last, boolean bias, boolean standardize) throws Exception {
        // a layernorm between dense layers: its parameters (gamma2, beta2) shift the dense layers' numbers to W3 and W4
        Architecture a = Architecture.builder(7).dense(17, hidden, bias).dropout(0.3f).layerNorm().dense(5, hidden, bias).batchNorm().dense(3, last, bias).build();
        Random rnd = new Random(hidden.ordinal() * 31 + last.ordinal() * 7 + (bias ? 1 : 0));
        Parameters p = Parameters.initialise(a, rnd.nextLong());
        if (bias) for (var s : p.shapes()) if (s.vector()) for (int i = 0; i < p.get(s.name()).length; i++) p.get(s.name())[i] = (float) rnd.nextGaussian();
        // batchnorm's running statistics as a trained model has them (a variance is positive)
        for (int i = 0; i < 5; i++) {
            p.get("running_mean4")[i] = (float) rnd.nextGaussian();
            p.get("running_var4")[i] = 0.5f + rnd.nextFloat();
        }
        Standardizer st = null;
        if (standardize) {
            float[] shift = new float[7], scale = new float[7];
            for (int j = 0; j < 7; j++) {
                shift[j] = (float) rnd.nextGaussian();
                scale[j] = 0.5f + rnd.nextFloat();
            }
            st = new Standardizer(shift, scale);
        }
        Model m = Model.of(p, last == Activation.SOFTMAX ? Loss.CROSS_ENTROPY : Loss.MSE, st, null);
        Path f = dir.resolve("m.onnx");
        OnnxExport.write(m, f);
        // 1, 7 and 33 rows: the batch dimension is dynamic
        for (int n : new int[]{1, 7, 33}) {
            float[][] x = rows(rnd, n, 7);
            float[][] want = m.predict(x), got = runOnnx(f, x);
            assertEquals(n, got.length);
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < 3; j++) {
                    assertEquals(want[r][j], got[r][j], TOL + TOL * Math.abs(want[r][j]), "row " + r + " output " + j);
                }
            }
        }
    }

    /** Every layer kind registered as a service (a new one included), first and between dense layers, with its parameters away from their start. */
    static Stream<String> registeredKinds() {
        return dev.clprop.model.LayerSpec.registeredKinds().stream().map(k -> "7," + k.spelling() + ",17:tanh," + k.spelling() + ",3:softmax");
    }

    @ParameterizedTest
    @MethodSource("registeredKinds")
    void onnxRuntimeGivesPredictsOutputsThroughRegisteredKinds(String spec) throws Exception {
        Architecture a = Architecture.parse(spec);
        Random rnd = new Random(spec.hashCode());
        Parameters p = Parameters.initialise(a, rnd.nextLong());
        for (var s : p.shapes()) if (s.vector()) for (int i = 0; i < p.get(s.name()).length; i++) p.get(s.name())[i] = (float) rnd.nextGaussian();
        Model m = Model.of(p, Loss.CROSS_ENTROPY, null, null);
        Path f = dir.resolve("k.onnx");
        OnnxExport.write(m, f);
        float[][] x = rows(rnd, 9, 7);
        float[][] want = m.predict(x), got = runOnnx(f, x);
        for (int r = 0; r < 9; r++) {
            for (int j = 0; j < 3; j++) assertEquals(want[r][j], got[r][j], TOL + TOL * Math.abs(want[r][j]), spec + ": row " + r + " output " + j);
        }
    }

    @Test
    void theMetadataCarriesTheClassNamesAndTheGraphItsLayers() {
        Architecture a = Architecture.parse("2,4:relu,dropout:0.5,3:softmax");
        Model m = Model.of(Parameters.initialise(a, 1), Loss.CROSS_ENTROPY, null,
                DataSchema.classification(List.of("x", "y"), "kind", List.of("a, b", "c", "d"), null));
        var proto = OnnxExport.toProto(m);
        Map<String, String> meta = new java.util.HashMap<>();
        proto.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
        assertEquals("[\"a, b\",\"c\",\"d\"]", meta.get("clprop.class_names"));
        assertEquals("[\"x\",\"y\"]", meta.get("clprop.feature_names"));
        assertEquals("2,4:relu,dropout:0.5,3:softmax", meta.get("clprop.spec"));
        assertEquals(List.of("Gemm", "Relu", "Gemm", "Softmax"), proto.getGraph().getNodeList().stream().map(n -> n.getOpType()).toList(),
                "dropout is left out");
        assertEquals(13, proto.getOpsetImport(0).getVersion());
        assertEquals("batch", proto.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
    }

    @Test
    void aTrainedDigitsModelScoresTheSameThroughOnnxRuntime() throws Exception {
        DataSources.digits();
        Dataset train = DataSources.digits().train(), test = DataSources.digits().test();
        Model m = Trainer.builder(Architecture.parse("64,32:relu,10:softmax")).epochs(15).seed(3).standardize(true).device("cpu").build().fit(train).model();
        Path f = dir.resolve("digits.onnx");
        OnnxExport.write(m, f);
        float[][] x = new float[test.rows()][];
        for (int r = 0; r < test.rows(); r++) x[r] = test.row(r);
        float[][] onnx = runOnnx(f, x);
        int right = 0;
        for (int r = 0; r < test.rows(); r++) if (Metrics.argmax(onnx[r], 0, 10) == test.label(r)) right++;
        Metrics clprop = m.evaluate(test);
        assertEquals(clprop.accuracy(), right / (double) test.rows(), 0.0, "ONNX Runtime's accuracy equals clprop's");
        assertTrue(clprop.accuracy() > 0.9, "and it is a real model: " + clprop.accuracy());
        assertTrue(Files.size(f) > 4 * (64 * 32 + 32 * 10));
    }

    @Test
    void aModelTrainedOnScaledTargetsPredictsInTargetUnitsThroughOnnxRuntime() throws Exception {
        Random rnd = new Random(5);
        float[][] x = rows(rnd, 200, 3), y = new float[200][2];
        for (int r = 0; r < 200; r++) {
            y[r][0] = 150 + 40 * x[r][0] - 20 * x[r][1];
            y[r][1] = -3000 + 500 * x[r][2];
        }
        Model m = Trainer.builder(Architecture.parse("3,8:tanh,2:linear")).epochs(3).seed(1).standardize(true).standardizeTargets(true)
                .device("cpu").build().fit(Dataset.regression(x, y)).model();
        Path f = dir.resolve("scaled.onnx");
        OnnxExport.write(m, f);
        float[][] want = m.predict(x), got = runOnnx(f, x);
        for (int r = 0; r < x.length; r++) {
            for (int j = 0; j < 2; j++) assertEquals(want[r][j], got[r][j], TOL * 10 * Math.abs(want[r][j]), "row " + r + " output " + j);
        }
        assertTrue(Math.abs(want[0][1]) > 1000, "outputs in target units: " + want[0][1]);
    }
}
