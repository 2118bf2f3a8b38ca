package dev.clprop.data;

import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.model.DataSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelInputsTest {
    @TempDir
    Path dir;

    static final DataSchema IRIS = DataSchema.classification(List.of("a", "b"), "species", List.of("setosa", "virginica"), List.of("id"));

    static String error(Runnable r) {
        return assertThrows(InvalidInputException.class, r::run).getMessage();
    }

    @Test
    void legacyModelsTakeTheirWidthOptionallyFollowedByALabelOrTargets() throws IOException {
        Path f = Files.writeString(dir.resolve("p.csv"), "1,2,3,4,5\n6,7,8,9,10\n");
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, legacy(5, 2).features(f));
        assertArrayEquals(new float[]{1, 2, 3, 4, 6, 7, 8, 9}, legacy(4, 2).features(f), "4 inputs and a label");
        assertArrayEquals(new float[]{1, 2, 3, 6, 7, 8}, legacy(3, 2).features(f), "3 inputs and 2 targets");
        assertEquals(f + ": has 5 column(s) but the model takes 2 inputs (optionally followed by a label column or 2 target columns)",
                error(() -> legacy(2, 2).features(f)));
        assertEquals(f + ": has 5 column(s) but the model takes 2 inputs (optionally followed by a label column)", error(() -> legacy(2, 1).features(f)));
    }

    private static ModelInputs legacy(int inputs, int outputs) {
        return new ModelInputs(DataSchema.UNKNOWN, inputs, outputs, null, null);
    }

    @Test
    void namedColumnsAreMatchedByNameInAnyOrderAndComeBackInTheModelsOrder() throws IOException {
        Path f = Files.writeString(dir.resolve("q.csv"), "species,b,id,a\nvirginica,2,x7,1\nsetosa,4,x8,3\n");
        ModelInputs in = new ModelInputs(IRIS, 2, 2, null, null);
        assertArrayEquals(new float[]{1, 2, 3, 4}, in.features(f));
        Dataset d = in.labelled(f);
        assertEquals(List.of("a", "b"), d.featureNames());
        assertEquals(2, d.rows());
        assertArrayEquals(new float[]{1, 2, 3, 4}, d.featureMatrix());
        // numbered as the model numbers its classes, not in the order the file shows them
        assertEquals(1, d.withClassesOf(IRIS.classNames()).label(0));
        assertEquals(0, d.withClassesOf(IRIS.classNames()).label(1));
    }

    @Test
    void aColumnTheModelNeverSawIsNamedWithTheWayOut() throws IOException {
        Path f = Files.writeString(dir.resolve("r.csv"), "a,b,colour\n1,2,3\n");
        String e = error(() -> new ModelInputs(IRIS, 2, 2, null, null).features(f));
        assertEquals(f + ": column 'colour' is not one the model was trained on (its features: a, b); set it aside with --ignore colour", e);
        assertArrayEquals(new float[]{1, 2}, new ModelInputs(IRIS, 2, 2, List.of("colour"), null).features(f));
    }

    @Test
    void missingFeaturesAndMissingLabelsAreNamed() throws IOException {
        Path f = Files.writeString(dir.resolve("s.csv"), "b,species\n2,setosa\n");
        assertEquals(f + ": lacks the model's feature column(s) a", error(() -> new ModelInputs(IRIS, 2, 2, null, null).features(f)));
        Path g = Files.writeString(dir.resolve("t.csv"), "a,b\n1,2\n");
        assertArrayEquals(new float[]{1, 2}, new ModelInputs(IRIS, 2, 2, null, null).features(g), "predict needs no label");
        assertEquals(g + ": lacks the label column(s) species the model was trained with", error(() -> new ModelInputs(IRIS, 2, 2, null, null).labelled(g)));
    }

    @Test
    void aRenamedLabelColumnIsPickedWithLabel() throws IOException {
        Path f = Files.writeString(dir.resolve("u.csv"), "a,b,kind\n1,2,setosa\n");
        Dataset d = new ModelInputs(IRIS, 2, 2, null, "kind").labelled(f);
        assertEquals(List.of("setosa"), d.classNames());
        assertThrows(InvalidSettingException.class, () -> new ModelInputs(DataSchema.regression(null, null, null), 2, 1, null, "kind"));
    }

    @Test
    void regressionModelsReadTheirTargetsAndStreamsWork() {
        DataSchema s = DataSchema.regression(List.of("x1", "x2"), List.of("y"), null);
        byte[] csv = "y,x2,x1\n0.5,2,1\n".getBytes(StandardCharsets.UTF_8);
        Dataset d = new ModelInputs(s, 2, 1, null, null).labelled("stdin", new ByteArrayInputStream(csv));
        assertTrue(!d.isClassification());
        assertArrayEquals(new float[]{0.5f}, d.targetMatrix(1));
        assertArrayEquals(new float[]{1, 2}, d.featureMatrix());
        assertArrayEquals(new float[]{1, 2}, new ModelInputs(s, 2, 1, null, null).features("stdin", new ByteArrayInputStream(csv)));
    }

    @Test
    void headerlessFilesForANamedModelAreMatchedByCount() throws IOException {
        Path f = Files.writeString(dir.resolve("v.csv"), "7,1,2,setosa\n");
        assertArrayEquals(new float[]{1, 2}, new ModelInputs(IRIS, 2, 2, List.of("1"), null).features(f));
        assertEquals(List.of("setosa"), new ModelInputs(IRIS, 2, 2, List.of("1"), null).labelled(f).classNames());
        assertTrue(error(() -> new ModelInputs(IRIS, 2, 2, null, null).labelled(f)).contains("has 4 column(s) but the model takes 2 inputs followed by a label column"));
    }
}
