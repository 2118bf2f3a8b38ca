package dev.clprop.cli;

import dev.clprop.Model;
import dev.clprop.Trainer;
import dev.clprop.data.CsvOptions;
import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.error.ClpropException;
import dev.clprop.error.IncompatibleModelException;
import dev.clprop.error.InvalidInputException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The "silent wrong results" family of issue 25: each case used to end with exit 0 and numbers that meant
 * nothing (a phantom class, a negative cross-entropy, labels scored by position, NaN predictions); now
 * each is a one-line error naming the file, row or value, and the library throws a ClpropException.
 */
class SilentResultsTest {
    @TempDir
    Path dir;

    @Test
    void aFileOfOneClassIsRefusedRatherThanGivenAPhantomClass() throws IOException {
        Path f = Files.writeString(dir.resolve("one.csv"), "a,b,kind\n1,2,cat\n3,4,cat\n5,6,cat\n");
        CliRunner r = CliRunner.run("train", "--data", f.toString(), "--epochs", "1", "--quiet");
        assertEquals(2, r.status(), r.out());
        assertTrue(r.err().contains("every training row is of class 'cat'"), r.err());
    }

    @Test
    void realValuedTargetsAreRefusedForSoftmaxAndOutOfRangeOnesForSigmoid() throws IOException {
        Path f = Files.writeString(dir.resolve("reg.csv"), "a,b,y\n1,2,3.5\n3,4,-1\n5,6,7\n");
        CliRunner soft = CliRunner.run("train", "--data", f.toString(), "--targets", "1", "--layers", "2,4:tanh,1:softmax", "--epochs", "1", "--quiet");
        assertEquals(2, soft.status(), soft.out());
        assertTrue(soft.err().contains("real-valued targets") && soft.err().contains("needs class labels"), soft.err());
        CliRunner sig = CliRunner.run("train", "--data", f.toString(), "--targets", "1", "--layers", "2,4:tanh,1:sigmoid", "--epochs", "1", "--quiet");
        assertEquals(2, sig.status(), sig.out());
        assertTrue(sig.err().contains(f + ":2: target 3.5 is outside [0, 1]"), sig.err());
    }

    @Test
    void numberedLabelsAreNotScoredByPositionAgainstNamedClasses() throws IOException {
        StringBuilder named = new StringBuilder("a,b,kind\n"), numbered = new StringBuilder("a,b,kind\n");
        String[] kinds = {"ant", "bee", "cat"};
        for (int i = 0; i < 60; i++) {
            named.append(i % 3).append(',').append(i % 3 * 2).append(',').append(kinds[i % 3]).append('\n');
            numbered.append(i % 3).append(',').append(i % 3 * 2).append(',').append(i % 3).append('\n');
        }
        Path train = Files.writeString(dir.resolve("named.csv"), named.toString()), nums = Files.writeString(dir.resolve("nums.csv"), numbered.toString());
        Path m = dir.resolve("m.npz");
        assertEquals(0, CliRunner.run("train", "--data", train.toString(), "--epochs", "2", "--save", m.toString(), "--device", "cpu", "--quiet").status());
        CliRunner e = CliRunner.run("evaluate", "--model", m.toString(), "--data", nums.toString());
        assertEquals(2, e.status(), e.out());
        assertTrue(e.err().contains("its labels are numbers, but the model's classes are named (ant, bee, cat)"), e.err());
        Dataset d = DataSources.csv(nums, CsvOptions.classification());
        assertThrows(IncompatibleModelException.class, () -> Model.load(m).evaluate(d));
    }

    @Test
    void inputsBeyondTheStandardizationAreNamedNotPredictedAsNaN() throws IOException {
        Path train = Files.writeString(dir.resolve("t.csv"), "a,b,kind\n0,0.001,0\n0,0.002,1\n0,0.001,0\n0,0.002,1\n");
        Path m = dir.resolve("m.npz");
        CliRunner t = CliRunner.run("train", "--data", train.toString(), "--standardize", "--epochs", "1", "--save", m.toString(), "--device", "cpu", "--quiet");
        assertEquals(0, t.status(), t.err());
        Path huge = Files.writeString(dir.resolve("huge.csv"), "a,b\n0,3e38\n");
        CliRunner p = CliRunner.run("predict", "--model", m.toString(), "--data", huge.toString(), "--output", "class");
        assertEquals(2, p.status(), p.out());
        assertTrue(p.err().contains("feature 2") && p.err().contains("beyond what the model's standardization can represent"), p.err());
        assertTrue(p.out().isEmpty(), "no class is printed for it: " + p.out());
    }

    @Test
    void missingArgumentsAreClpropExceptionsNotNullPointers() {
        Architecture a = Architecture.parse("2,3:softmax");
        Trainer t = Trainer.builder(a).device("cpu").build();
        Dataset d = Dataset.classification(new float[][]{{0, 1}, {1, 0}}, new int[]{0, 1});
        List<Runnable> calls = List.of(() -> t.resume(null, d), () -> Model.load(null), () -> Loss.parse(null),
                () -> DataSources.csv((Path) null, CsvOptions.classification()), () -> DataSources.csv(dir.resolve("x.csv"), null),
                () -> DataSources.mnist(null), () -> t.fit(d).model().save(null));
        for (Runnable c : calls) {
            ClpropException e = assertThrows(ClpropException.class, c::run);
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
        }
        assertThrows(InvalidInputException.class, () -> Model.load(null));
    }

    @Test
    void namesAModelFileCouldNotKeepAreRefusedWhenRead() throws IOException {
        // before: these trained, then the saved model could not be loaded back
        Path dup = Files.writeString(dir.resolve("dup.csv"), "a,a,label\n1,2,x\n3,4,y\n");
        CliRunner d = CliRunner.run("train", "--data", dup.toString(), "--epochs", "1", "--quiet");
        assertEquals(2, d.status(), d.out());
        assertTrue(d.err().contains("has two columns named 'a'"), d.err());
        Path nul = Files.writeString(dir.resolve("nul.csv"), "a,b,label\n1,2,x\u0000y\n3,4,z\n");
        CliRunner n = CliRunner.run("train", "--data", nul.toString(), "--epochs", "1", "--quiet");
        assertEquals(2, n.status(), n.out());
        assertTrue(n.err().contains("holds a control character (U+0000)") && !n.err().contains("\u0000"), n.err());
        Path esc = Files.writeString(dir.resolve("esc.csv"), "a,\"b\u001b[31m\",label\n1,2,x\n3,4,z\n");
        CliRunner e = CliRunner.run("train", "--data", esc.toString(), "--epochs", "1", "--quiet");
        assertEquals(2, e.status(), e.out());
        assertTrue(e.err().contains("column 2's name") && !e.err().contains("\u001b"), "the escape is shown quoted, not sent to the terminal: " + e.err());
    }

    static void idx(Path dir, String prefix, int n, int side) throws IOException {
        java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(16 + n * side * side).putInt(0x803).putInt(n).putInt(side).putInt(side);
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte"), img.array());
        java.nio.ByteBuffer lab = java.nio.ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) lab.put((byte) (i % 2));
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), lab.array());
    }

    @Test
    void testImagesOfAnotherSizeAreNamedByTheirOwnFile() throws IOException {
        Path mnist = Files.createDirectories(dir.resolve("mnist"));
        idx(mnist, "train", 12, 2);
        idx(mnist, "t10k", 6, 3);
        CliRunner r = CliRunner.run("train", "--data", mnist.toString(), "--epochs", "1", "--quiet");
        assertEquals(2, r.status(), r.out());
        assertTrue(r.err().startsWith("clprop: " + mnist.resolve("t10k-images-idx3-ubyte") + ": its images have 9 pixels, the training images 4"), r.err());
    }
}
