package dev.clprop.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.clprop.error.ClpropException;
import dev.clprop.model.Architecture;

/** Any text as an architecture string: one that reads back as itself, or one clear error. Seeds: SpecFuzzTestInputs/. */
class SpecFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void spec(byte[] data) {
        String text = new String(data, java.nio.charset.StandardCharsets.UTF_8);
        try {
            Architecture a = Architecture.parse(text);
            Findings.check(Architecture.parse(a.spelling()).equals(a), "'" + a.spelling() + "' does not read back as itself");
            Findings.check(a.parameterCount() <= Architecture.MAX_PARAMETERS, "too many parameters accepted");
            Findings.check(a.inputs() > 0 && a.outputs() > 0, "an empty width was accepted");
        } catch (ClpropException e) {
            Findings.expected(e);
        }
    }
}
