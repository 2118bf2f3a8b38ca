package dev.clprop.api;

import dev.clprop.Device;
import dev.clprop.OpenClDevices;
import dev.clprop.Trainer;
import dev.clprop.cli.CliRunner;
import dev.clprop.data.Dataset;
import dev.clprop.device.GemmFamily;
import dev.clprop.model.Architecture;
import dev.clprop.train.TrainingListener;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code auto} weighs a training step's work: a tiny tabular network trains on EJML (where it is several
 * times faster than on an OpenCL device's launches), a larger one on OpenCL, and the run says why.
 */
class AutoDeviceTest {
    static Dataset blobs(int features, int n) {
        Random rng = new Random(2);
        float[][] x = new float[n][features];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int j = 0; j < features; j++) x[i][j] = (float) (rng.nextGaussian() + y[i]);
        }
        return Dataset.classification(x, y);
    }

    static List<String> devicesSaid(Architecture arch, int batch) {
        List<String> said = new ArrayList<>();
        Trainer.builder(arch).batchSize(batch).epochs(1).listener(new TrainingListener() {
            @Override
            public void onMessage(String line) {
                if (line.startsWith("device:")) said.add(line);
            }
        }).build().fit(blobs(arch.inputs(), 96));
        return said;
    }

    @Test
    void aTrainerGivenNoDeviceDecidesPerFitByTheWorkOfAStep() {
        OpenClDevices.device(); // an OpenCL device exists (or this test skips, or fails under CI=true)
        List<String> iris = devicesSaid(Architecture.parse("4,16:relu,3:softmax"), 32);
        assertTrue(iris.size() == 1 && iris.get(0).startsWith("device: ejml") && iris.get(0).contains("MFLOP, below"), iris.toString());
        List<String> wide = devicesSaid(Architecture.parse("64,256:relu,3:softmax"), 32);
        assertTrue(wide.size() == 1 && wide.get(0).startsWith("device: opencl"), wide.toString());
    }

    @Test
    void theThresholdIsWhereTheWorkCrossesIt() {
        OpenClDevices.device();
        Architecture a = Architecture.parse("64,128:relu,10:softmax"); // 9,610 parameters: 6·9,610·b FLOP a step
        List<String> said = new ArrayList<>();
        try (Device small = Device.openForTraining("auto", GemmFamily.AUTO, a, 8, said::add);
             Device large = Device.openForTraining("auto", GemmFamily.AUTO, a, 32, said::add)) {
            assertTrue(small.isReference(), said.toString());
            assertFalse(large.isReference(), said.toString());
        }
        try (Device explicit = Device.openForTraining("opencl", GemmFamily.AUTO, Architecture.parse("4,3:softmax"), 1, line -> { })) {
            assertFalse(explicit.isReference(), "an explicit choice is kept whatever the work");
        }
    }

    @Test
    void theCommandLineSaysWhyForASmallNetwork() {
        OpenClDevices.device();
        CliRunner r = CliRunner.run("train", "--layers", "64,8:relu,10:softmax", "--epochs", "1", "--batch", "16");
        assertTrue(r.status() == 0, r.err());
        assertTrue(r.out().contains("device: ejml (CPU reference path), because a training step of 64,8:relu,10:softmax at batch 16 is 0.06 MFLOP"),
                r.out());
    }
}
