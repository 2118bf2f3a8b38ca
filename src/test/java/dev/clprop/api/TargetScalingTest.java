package dev.clprop.api;

import dev.clprop.BackendKind;
import dev.clprop.Model;
import dev.clprop.OpenClDevices;
import dev.clprop.Trainer;
import dev.clprop.data.Dataset;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Regression targets around 150 (as in scikit-learn's diabetes set): with standardizeTargets the network
 * trains on scaled targets and everything a user sees (predictions, metrics, saved and exported models)
 * is in target units.
 */
class TargetScalingTest {
    static final Architecture ARCH = Architecture.parse("3,16:tanh,1:linear");

    @TempDir
    Path dir;

    /** y = 150 + 40·x1 − 25·x2 + 10·x1·x3 + noise (σ 5): R² of about 0.97 is reachable. */
    static Dataset data(int n, long seed) {
        Random rng = new Random(seed);
        float[][] x = new float[n][3], y = new float[n][1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) x[i][j] = (float) rng.nextGaussian();
            y[i][0] = (float) (150 + 40 * x[i][0] - 25 * x[i][1] + 10 * x[i][0] * x[i][2] + 5 * rng.nextGaussian());
        }
        return Dataset.regression(x, y);
    }

    static Trainer.Builder trainer(BackendKind kind) {
        String device = kind == BackendKind.OPENCL ? "opencl:" + OpenClDevices.device().index() : "cpu";
        return Trainer.builder(ARCH).optimizer(Optimizer.adam(0.01f)).batchSize(32).epochs(60).seed(4).device(device);
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void scaledTargetsReachAGoodFitInTargetUnits(BackendKind kind) {
        Dataset train = data(400, 1), test = data(200, 2);
        Model scaled = trainer(kind).standardizeTargets(true).build().fit(train).model();
        Metrics m = scaled.evaluate(test);
        assertTrue(m.r2(0) >= 0.8, "R² in target units: " + m.r2(0));
        assertTrue(Math.sqrt(m.mse(0)) < 15, "RMSE in target units: " + Math.sqrt(m.mse(0)));
        float mean = 0;
        for (float[] p : scaled.predict(new float[][]{{0, 0, 0}, {1, 0, 0}})) mean += p[0] / 2;
        assertEquals(170, mean, 12, "predictions are in target units (150 at the origin, 190 at x1 = 1)");
        // the same settings without scaling: the outputs never get near 150 in 60 epochs
        Metrics unscaled = trainer(kind).build().fit(train).model().evaluate(test);
        assertTrue(unscaled.r2(0) < 0, "without scaling R² is " + unscaled.r2(0));
    }

    @Test
    void theScalingTravelsWithTheModelAndIsFoldedIntoExportedWeights() {
        Dataset train = data(400, 1);
        Model model = trainer(BackendKind.EJML).epochs(5).standardizeTargets(true).build().fit(train).model();
        assertTrue(model.targetScaling() != null);
        float[][] rows = {{0.3f, -1.2f, 0.5f}, {2f, 0.1f, -0.7f}, {0, 0, 0}};
        float[][] expected = model.predict(rows);
        Path file = dir.resolve("m.npz");
        model.save(file);
        Model again = Model.load(file);
        for (int r = 0; r < rows.length; r++) assertArrayEquals(expected[r], again.predict(rows[r]), 0f, "a saved model predicts the same");
        // PyTorch's state_dict: the scaling folded into the output layer, so a plain network gives target units
        Path torch = dir.resolve("torch.npz");
        model.saveTorchWeights(torch);
        Model plain = Model.loadWeights(torch, ARCH);
        assertEquals(null, plain.targetScaling());
        for (int r = 0; r < rows.length; r++) assertEquals(expected[r][0], plain.predict(rows[r])[0], 1e-4 * Math.abs(expected[r][0]), "row " + r);
    }

    @Test
    void onlyRegressionThroughALinearOutputWithABiasCanBeScaled() {
        Dataset regression = data(50, 3);
        float[][] x = {{0, 0, 0}, {1, 1, 1}};
        Dataset classes = Dataset.classification(x, new int[]{0, 1});
        assertEquals("standardizeTargets", assertThrows(InvalidSettingException.class,
                () -> Trainer.builder(Architecture.parse("3,4:tanh,2:softmax")).standardizeTargets(true).device("cpu").build().fit(classes)).setting());
        for (String spec : new String[]{"3,4:tanh,1:sigmoid", "3,4:tanh,1:linear:nobias"}) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class,
                    () -> Trainer.builder(Architecture.parse(spec)).standardizeTargets(true).device("cpu").build().fit(regression), spec);
            assertEquals("standardizeTargets", e.setting());
            assertTrue(e.getMessage().contains("linear output layer with a bias"), e.getMessage());
        }
    }
}
