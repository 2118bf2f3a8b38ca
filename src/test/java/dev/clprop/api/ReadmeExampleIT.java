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

    static String example() throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("clprop.readme")));
        Matcher m = Pattern.compile("<!-- example:start -->\\s*```java\\n(.*?)```\\s*<!-- example:end -->", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "README.md has no example block");
        return m.group(1);
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
        Files.writeString(src.resolve("Example.java"), example());
        Run build = run(project, mvn("compile", "org.apache.maven.plugins:maven-dependency-plugin:3.7.1:build-classpath",
                "-Dmdep.outputFile=cp.txt"));
        assertEquals(0, build.status(), "the README example does not compile against the installed artifact:\n" + build.output());
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
    void runsOnEjml() throws Exception {
        runsAndClassifies("cpu");
    }

    @Test
    void runsOnOpenCl() throws Exception {
        runsAndClassifies("opencl:" + OpenClDevices.device().index());
    }
}
