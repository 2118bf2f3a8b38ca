package dev.clprop.api;

import dev.clprop.OpenClDevices;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's Java example, as a user would run it: the README's {@code mvn -DskipTests install} installs
 * the library (its jar, sources, javadoc and real POM) into the local Maven repository, a separate Maven project that depends on dev.clprop:clprop compiles the example
 * taken verbatim from README.md, its dependency tree holds no CLI-only library, and the program runs
 * on EJML and on an OpenCL device, training a model that classifies the clusters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadmeExampleIT {
    static final String CLI_ONLY = "(?i).*(picocli|xchart|pdfbox|progressbar|gson|jline|tribuo|protobuf|onnx|spark|scala-library).*";

    @TempDir
    static Path workspace;
    /** The user's own Maven project, which declares only dev.clprop:clprop. */
    Path project;
    String classpath;

    record Run(int status, String output) {
    }

    static Run run(Path dir, List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "timed out: " + cmd);
        return new Run(p.exitValue(), out);
    }

    static List<String> mvn(String... args) {
        String home = System.getProperty("maven.home");
        List<String> cmd = new ArrayList<>(List.of(home != null && !home.isBlank() ? Path.of(home, "bin", "mvn").toString() : "mvn", "-B", "-q"));
        String repo = System.getProperty("maven.repo.local");
        if (repo != null) cmd.add("-Dmaven.repo.local=" + repo);
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The Java program between {@code <!-- NAME:start -->} and {@code <!-- NAME:end -->} in the README. */
    static String example(String name) throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("clprop.readme")));
        Matcher m = Pattern.compile("<!-- " + name + ":start -->\\s*```java\\n(.*?)```\\s*<!-- " + name + ":end -->", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "README.md has no " + name + " block");
        return m.group(1);
    }

    /** A user's program that exports to ONNX without adding the exporter's optional dependencies. */
    static final String ONNX_WITHOUT_TRIBUO = """
            import dev.clprop.Model;
            import dev.clprop.error.ClpropException;
            import dev.clprop.export.OnnxExport;
            import dev.clprop.model.Architecture;
            import dev.clprop.model.Parameters;
            import java.nio.file.Path;

            public class OnnxWithoutTribuo {
                public static void main(String[] args) {
                    Model m = Model.of(Parameters.initialise(Architecture.parse("2,3:softmax"), 1), null, null, null);
                    try {
                        OnnxExport.write(m, Path.of("m.onnx"));
                        System.out.println("written");
                    } catch (ClpropException e) {
                        System.out.println("refused: " + e.getMessage());
                    }
                }
            }
            """;

    /** Iris as a user has it: a header, names for the species; the test file's columns in another order. */
    static void writeCsvFiles(Path dir, Path irisResource) throws IOException {
        List<String> lines = Files.readAllLines(irisResource);
        String[] species = {"setosa", "versicolor", "virginica"};
        StringBuilder train = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width,species\n");
        StringBuilder test = new StringBuilder("species,petal_width,sepal_length,petal_length,sepal_width\n");
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            String name = species[Integer.parseInt(f[4].trim())];
            if (i % 5 == 0) test.append(String.join(",", name, f[3], f[0], f[2], f[1])).append('\n');
            else train.append(String.join(",", f[0], f[1], f[2], f[3], name)).append('\n');
        }
        Files.writeString(dir.resolve("iris-train.csv"), train);
        Files.writeString(dir.resolve("iris-test.csv"), test);
        // prices around 150: 150 + 40·x1 − 25·x2 + 10·x1·x3 + noise; the test file's features in another order
        java.util.Random rng = new java.util.Random(11);
        StringBuilder houses = new StringBuilder("rooms,age,distance,price\n"), later = new StringBuilder("distance,rooms,age,price\n");
        for (int i = 0; i < 600; i++) {
            double a = rng.nextGaussian(), b = rng.nextGaussian(), c = rng.nextGaussian();
            String price = String.format(java.util.Locale.ROOT, "%.3f", 150 + 40 * a - 25 * b + 10 * a * c + 5 * rng.nextGaussian());
            String[] x = {String.format(java.util.Locale.ROOT, "%.5f", a), String.format(java.util.Locale.ROOT, "%.5f", b),
                    String.format(java.util.Locale.ROOT, "%.5f", c)};
            if (i < 400) houses.append(String.join(",", x[0], x[1], x[2], price)).append('\n');
            else later.append(String.join(",", x[2], x[0], x[1], price)).append('\n');
        }
        Files.writeString(dir.resolve("house-prices.csv"), houses);
        Files.writeString(dir.resolve("house-prices-test.csv"), later);
    }

    /** The README's install command, run as a user runs it: in a copy of the project, into the local repository. */
    static final String INSTALL = "mvn -DskipTests install";

    static Path localRepository() {
        String repo = System.getProperty("maven.repo.local");
        return repo != null ? Path.of(repo) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }

    @BeforeAll
    void buildTheExampleAgainstTheInstalledArtifact() throws Exception {
        Path basedir = Path.of(System.getProperty("clprop.basedir"));
        assertTrue(Files.readString(basedir.resolve("README.md")).contains(INSTALL), "the README no longer says " + INSTALL);
        // a copy, so that the install does not rebuild the target/ this test runs from; the tests stay
        // behind because -DskipTests still compiles them
        Path source = Files.createDirectories(workspace.resolve("clprop"));
        Files.copy(basedir.resolve("pom.xml"), source.resolve("pom.xml"));
        copyTree(basedir.resolve("kernels"), source.resolve("kernels"));
        copyTree(basedir.resolve("src/main"), source.resolve("src/main"));
        List<String> install = mvn(INSTALL.substring("mvn ".length()).split(" "));
        Run installed = run(source, install);
        assertEquals(0, installed.status(), installed.output());
        Path artifact = localRepository().resolve("dev/clprop/clprop/0.1.0-SNAPSHOT");
        for (String suffix : List.of(".jar", "-sources.jar", "-javadoc.jar", ".pom")) {
            assertTrue(Files.isRegularFile(artifact.resolve("clprop-0.1.0-SNAPSHOT" + suffix)), "mvn install left no " + suffix + " in " + artifact);
        }
        String pom = Files.readString(artifact.resolve("clprop-0.1.0-SNAPSHOT.pom"));
        for (String dependency : List.of("<artifactId>jocl</artifactId>", "<artifactId>ejml-fdense</artifactId>", "<artifactId>commons-csv</artifactId>")) {
            assertTrue(pom.contains(dependency), "the installed POM does not name " + dependency + ":\n" + pom);
        }
        project = Files.createDirectories(workspace.resolve("uses-clprop"));
        Files.writeString(project.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>example</groupId>
                  <artifactId>uses-clprop</artifactId>
                  <version>1</version>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencies>
                    <dependency>
                      <groupId>dev.clprop</groupId>
                      <artifactId>clprop</artifactId>
                      <version>0.1.0-SNAPSHOT</version>
                    </dependency>
                  </dependencies>
                  <build>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-compiler-plugin</artifactId>
                        <version>3.13.0</version>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """);
        Path src = Files.createDirectories(project.resolve("src/main/java"));
        Files.writeString(src.resolve("Example.java"), example("example"));
        Files.writeString(src.resolve("CsvExample.java"), example("csv-example"));
        Files.writeString(src.resolve("OnnxWithoutTribuo.java"), ONNX_WITHOUT_TRIBUO);
        writeCsvFiles(project, basedir.resolve("src/test/resources/iris.csv"));
        Run build = run(project, mvn("compile", "org.apache.maven.plugins:maven-dependency-plugin:3.7.1:build-classpath",
                "-Dmdep.outputFile=cp.txt"));
        assertEquals(0, build.status(), "the README examples do not compile against the installed artifact:\n" + build.output());
        classpath = project.resolve("target/classes") + java.io.File.pathSeparator + Files.readString(project.resolve("cp.txt")).trim();
    }

    @Test
    void aUsersDependencyTreeHoldsNoCommandLineLibrary() throws Exception {
        Run tree = run(project, mvn("org.apache.maven.plugins:maven-dependency-plugin:3.7.1:tree", "-DoutputFile=tree.txt"));
        assertEquals(0, tree.status(), tree.output());
        List<String> lines = Files.readAllLines(project.resolve("tree.txt"));
        assertTrue(lines.stream().anyMatch(l -> l.contains("dev.clprop:clprop:jar")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("org.jocl:jocl")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("org.ejml:ejml-fdense")), String.join("\n", lines));
        assertFalse(lines.stream().anyMatch(l -> l.matches(CLI_ONLY)), "a CLI-only library leaks into users' classpath:\n" + String.join("\n", lines));
        assertFalse(classpath.matches(CLI_ONLY), classpath);
    }

    void runsAndClassifies(String device) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Run r = run(project, List.of(java, "-cp", classpath, "Example", device));
        assertEquals(0, r.status(), r.output());
        Matcher acc = Pattern.compile("COMPLETED after 20 epochs, accuracy ([0-9.]+)").matcher(r.output());
        assertTrue(acc.find(), r.output());
        assertTrue(Double.parseDouble(acc.group(1)) > 0.9, "the clusters are easy to separate: " + r.output());
        assertTrue(r.output().contains("class of (1.5, 0.5): 1"), r.output());
        assertTrue(r.output().contains("after loading: 1"), r.output());
        assertTrue(Files.isRegularFile(project.resolve("clusters.npz")));
    }

    @Test
    void theCsvExampleMatchesColumnsByNameAndReportsInTargetUnits() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Run r = run(project, List.of(java, "-cp", classpath, "CsvExample"));
        assertEquals(0, r.status(), r.output());
        Matcher acc = Pattern.compile("accuracy ([0-9.]+), F1 of virginica ([0-9.]+)").matcher(r.output());
        assertTrue(acc.find(), r.output());
        assertTrue(Double.parseDouble(acc.group(1)) >= 0.9 && Double.parseDouble(acc.group(2)) >= 0.85, r.output());
        assertTrue(r.output().contains("virginica") && r.output().contains("macro avg"), "the report names the classes: " + r.output());
        assertTrue(r.output().contains("predicted: virginica"), r.output());
        Matcher reg = Pattern.compile("R² ([-0-9.]+), RMSE ([0-9.]+)").matcher(r.output());
        assertTrue(reg.find(), r.output());
        assertTrue(Double.parseDouble(reg.group(1)) >= 0.8, "targets around 150 fit in their own units: " + r.output());
        assertTrue(Double.parseDouble(reg.group(2)) < 20, r.output());
    }

    @Test
    void onnxExportWithoutItsOptionalDependenciesSaysWhatToAdd() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Run r = run(project, List.of(java, "-cp", classpath, "OnnxWithoutTribuo"));
        assertEquals(0, r.status(), r.output());
        assertTrue(r.output().contains("refused: ONNX export needs org.tribuo:tribuo-util-onnx:4.3.2"), r.output());
        assertFalse(r.output().contains("NoClassDefFoundError"), r.output());
    }

    @Test
    void runsOnEjml() throws Exception {
        runsAndClassifies("cpu");
    }

    @Test
    void runsOnOpenCl() throws Exception {
        runsAndClassifies("opencl:" + OpenClDevices.device().index());
    }
}
