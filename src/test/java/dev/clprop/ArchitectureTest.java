package dev.clprop;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering the packages show, kept by the compiler's output: each layer uses only those below
 * it, the model layer knows no device, and nothing but the command line and the benchmarks touches
 * their optional dependencies.
 */
class ArchitectureTest {
    static final JavaClasses MAIN = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.clprop");

    @Test
    void layersOnlyUseTheLayersBelowThem() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("cli").definedBy("dev.clprop.cli..")
                .layer("spark").definedBy("dev.clprop.spark..")
                .layer("export").definedBy("dev.clprop.export..")
                .layer("bench").definedBy("dev.clprop.bench..")
                .layer("api").definedBy("dev.clprop")
                .layer("train").definedBy("dev.clprop.train..")
                .layer("spi").definedBy("dev.clprop.spi..")
                .layer("settings").definedBy("dev.clprop.settings..")
                .layer("nn").definedBy("dev.clprop.nn..")
                .layer("metrics").definedBy("dev.clprop.metrics..")
                .layer("device").definedBy("dev.clprop.device..")
                .layer("data").definedBy("dev.clprop.data..")
                .layer("io").definedBy("dev.clprop.io..")
                .layer("model").definedBy("dev.clprop.model..", "dev.clprop.loss..", "dev.clprop.optim..")
                .layer("error").definedBy("dev.clprop.error..", "dev.clprop.util..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("spark").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("export").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("bench").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("api").mayOnlyBeAccessedByLayers("cli", "bench", "export")
                .whereLayer("train").mayOnlyBeAccessedByLayers("api", "bench", "cli", "spark")
                .whereLayer("spi").mayOnlyBeAccessedByLayers("train", "api", "bench", "cli", "spark")
                .whereLayer("settings").mayOnlyBeAccessedByLayers("spi", "train", "api", "bench", "cli", "spark")
                .whereLayer("nn").mayOnlyBeAccessedByLayers("train", "api", "bench", "spark")
                .whereLayer("metrics").mayOnlyBeAccessedByLayers("train", "api", "bench", "cli")
                .whereLayer("device").mayOnlyBeAccessedByLayers("nn", "train", "api", "bench", "cli", "spark")
                .whereLayer("data").mayOnlyBeAccessedByLayers("metrics", "train", "api", "bench", "cli", "spark")
                .whereLayer("io").mayOnlyBeAccessedByLayers("data", "device", "train", "api", "bench", "cli", "export", "spark")
                .check(MAIN);
    }

    @Test
    void theModelLayerKnowsNoDevice() {
        noClasses().that().resideInAnyPackage("dev.clprop.model..", "dev.clprop.loss..", "dev.clprop.optim..", "dev.clprop.io..", "dev.clprop.data..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.clprop.device..", "org.jocl..", "org.ejml..")
                .check(MAIN);
        noClasses().that().resideInAnyPackage("dev.clprop.nn..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.clprop.device.opencl..", "dev.clprop.device.reference..", "org.jocl..")
                .because("layers run on any backend through the Backend interface")
                .check(MAIN);
    }

    @Test
    void onlyTheCommandLineAndBenchmarksUseTheirOptionalDependencies() {
        noClasses().that().resideOutsideOfPackages("dev.clprop.cli..", "dev.clprop.bench..")
                .should().dependOnClassesThat().resideInAnyPackage("picocli..", "me.tongfei..", "org.knowm..",
                        "de.rototor..", "org.apache.pdfbox..")
                .because("they are optional dependencies: a library user's classpath does not have them")
                .check(MAIN);
        // ONNX's protobuf classes and Gson: only the command line, the benchmarks and the ONNX exporter,
        // which says in its javadoc that a library user who exports adds them
        noClasses().that().resideOutsideOfPackages("dev.clprop.cli..", "dev.clprop.bench..", "dev.clprop.export..")
                .should().dependOnClassesThat().resideInAnyPackage("com.google.gson..", "ai.onnx..", "com.google.protobuf..", "org.tribuo..")
                .check(MAIN);
        noClasses().that().resideOutsideOfPackage("dev.clprop.cli..").should().dependOnClassesThat().resideInAPackage("dev.clprop.cli..")
                .check(MAIN);
        // Spark is provided by the cluster: only the Spark entry point and the command line's --spark touch it
        noClasses().that().resideOutsideOfPackages("dev.clprop.spark..", "dev.clprop.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "scala..")
                .check(MAIN);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("dev.clprop.(*)..").should().beFreeOfCycles().check(MAIN);
    }
}
