package dev.clprop.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.clprop.error.ClpropException;
import dev.clprop.io.IdxReader;

import java.io.ByteArrayInputStream;

/** Any bytes as an IDX images or labels file, its length known or not (gzip). Seeds: IdxFuzzTestInputs/. */
class IdxFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void idx(byte[] data) {
        for (long size : new long[]{data.length, -1}) {
            try {
                IdxReader.Images im = IdxReader.readImages("fuzz-images", new ByteArrayInputStream(data), size);
                Findings.check((long) im.count() * im.height() * im.width() == im.pixels().length, "pixel count differs from the header");
                Findings.check(16L + im.pixels().length == data.length, "accepted data that is not exactly header plus pixels");
            } catch (ClpropException e) {
                Findings.expected(e);
            }
            try {
                byte[] labels = IdxReader.readLabels("fuzz-labels", new ByteArrayInputStream(data), size);
                Findings.check(8L + labels.length == data.length, "accepted data that is not exactly header plus labels");
            } catch (ClpropException e) {
                Findings.expected(e);
            }
        }
    }
}
