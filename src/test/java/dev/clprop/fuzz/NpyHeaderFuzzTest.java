package dev.clprop.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.clprop.Model;
import dev.clprop.error.ClpropException;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * A real model file with one array's .npy header rewritten from the fuzzer's numbers (its dtype, the
 * dimensions and count of its shape, the order flag) and its data bytes the fuzzer's own; the other
 * arrays stay valid, so reading gets as far as shapes, sizes and values. Promise: a one-line
 * ClpropException, or a model that predicts finite numbers. Seeds: NpyHeaderFuzzTestInputs/npyHeader/.
 */
class NpyHeaderFuzzTest {
    static final String[] DTYPES = {"<f4", "<f8", "<i4", "<i8", "<U8", "|b1", ">f4", "<f2", "|O", "<U2147483647"};
    static final Map<String, byte[]> BASE = new LinkedHashMap<>();
    static final Path FILE;

    static {
        try {
            Path base = Files.createTempFile("clprop-fuzz-model", ".npz");
            FILE = Files.createTempFile("clprop-fuzz-npy", ".npz");
            base.toFile().deleteOnExit();
            FILE.toFile().deleteOnExit();
            Model.of(Parameters.initialise(Architecture.parse("4,6:relu,3:softmax"), 1), null, null, null).save(base);
            try (ZipFile z = new ZipFile(base.toFile())) {
                for (ZipEntry en : java.util.Collections.list(z.entries())) BASE.put(en.getName(), z.getInputStream(en).readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] npy(String dict, byte[] data) {
        int total = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - total % 64) % 64) + "\n";
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[10 + h.length + data.length];
        out[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(StandardCharsets.US_ASCII), 0, out, 1, 5);
        out[6] = 1;
        out[8] = (byte) (h.length & 0xff);
        out[9] = (byte) ((h.length >> 8) & 0xff);
        System.arraycopy(h, 0, out, 10, h.length);
        System.arraycopy(data, 0, out, 10 + h.length, data.length);
        return out;
    }

    @FuzzTest(maxDuration = "20s")
    void npyHeader(FuzzedDataProvider in) throws IOException {
        List<String> names = List.copyOf(BASE.keySet());
        String target = names.get(in.consumeInt(0, names.size() - 1));
        StringBuilder shape = new StringBuilder("(");
        int dims = in.consumeInt(0, 4);
        for (int d = 0; d < dims; d++) shape.append(in.consumeBoolean() ? in.consumeInt(-2, 40) : in.consumeLong()).append(", ");
        shape.append(")");
        String dict = "{'descr': '" + DTYPES[in.consumeInt(0, DTYPES.length - 1)] + "', 'fortran_order': " + (in.consumeBoolean() ? "False" : "True")
                + ", 'shape': " + shape + ", }";
        byte[] data = in.consumeRemainingAsBytes();
        try (OutputStream os = Files.newOutputStream(FILE); ZipOutputStream z = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : BASE.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getKey().equals(target) ? npy(dict, data) : e.getValue());
                z.closeEntry();
            }
        }
        try {
            Model m = Model.load(FILE);
            float[] p = m.predict(new float[m.inputs()]);
            for (float v : p) Findings.check(Float.isFinite(v), "a model read from a mutated file predicts " + v);
        } catch (ClpropException e) {
            Findings.expected(e);
        }
    }
}
