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
 * The README's Java example, as a user would run it: the library jar is installed into the local
 * Maven repository, a separate Maven project that depends on dev.clprop:clprop compiles the example
 * taken verbatim from README.md, its dependency tree holds no CLI-only library, and the program runs
 * on EJML and on an OpenCL device, training a model that classifies the clusters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadmeExampleIT {
    static final String CLI_ONLY = "(?i).*(picocli|xchart|pdfbox|progressbar|gson|jline|tribuo|protobuf|onnx|spark|scala-library).*";

    @TempDir
    static Path project;
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

    @BeforeAll
    void buildTheExampleAgainstTheInstalledArtifact() throws Exception {
        Run install = run(project, mvn("org.apache.maven.plugins:maven-install-plugin:3.1.2:install-file",
                "-Dfile=" + System.getProperty("clprop.jar"), "-DpomFile=" + System.getProperty("clprop.pom")));
        assertEquals(0, install.status(), install.output());
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
