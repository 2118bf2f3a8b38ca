package dev.clprop.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.clprop.data.CsvOptions;
import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.error.ClpropException;

import java.io.ByteArrayInputStream;

/** Any bytes as a CSV file: a dataset that makes sense, or one clear error. Seeds: CsvFuzzTestInputs/. */
class CsvFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void csv(byte[] data) {
        for (CsvOptions o : new CsvOptions[]{CsvOptions.classification(), CsvOptions.regression(1), CsvOptions.regression(2)}) {
            try {
                Dataset d = DataSources.csv("fuzz.csv", new ByteArrayInputStream(data), o);
                Findings.check(d.rows() >= 1 && d.featureCount() >= 1, "an empty dataset was accepted");
                for (float v : d.featureMatrix()) Findings.check(Float.isFinite(v), "a non-finite feature was accepted");
                if (d.isClassification()) {
                    Findings.check(d.classCount() >= 1 && d.classCount() <= Dataset.MAX_CLASSES, "class count " + d.classCount());
                    for (int r = 0; r < d.rows(); r++) Findings.check(d.label(r) >= 0 && d.label(r) < d.classCount(), "label out of range");
                    if (d.classNames() != null) Findings.check(d.classNames().size() == d.classCount(), "class names do not match the classes");
                } else {
                    Findings.check(d.targetCount() == o.targets(), "target count");
                }
            } catch (ClpropException e) {
                Findings.expected(e);
            }
        }
    }
}
