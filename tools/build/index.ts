// The build system's host side (DESIGN.md: tools/build/): build descriptions, firmware ELF
// reading, validation rules, provenance in DSSE envelopes, SBOMs, build records (stored and found by
// targets metadata), and one build from description to bundles.
export { PRODUCT_NAME, parseDescription, type BuildDescription, type TargetInput, type ValidationRules } from "./description.js";
export { validateTarget, type RuleFailure, type TargetArtifact } from "./rules.js";
export { EM_ARM, EM_RISCV, MAX_IMAGE_SPAN, parseElf, slotImage, symbolBytes, type ElfFile, type ElfSegment, type ElfSymbol, type SlotImage } from "./elf.js";
export { pae, parseEnvelope, signEnvelope, verifyEnvelope, type DsseEnvelope, type DsseSignature, type VerifiedEnvelope } from "./dsse.js";
export {
  AIRLOCK_BUILD_TYPE, IN_TOTO_PAYLOAD_TYPE, SBOM_DEPENDENCY, SLSA_PROVENANCE_V1, STATEMENT_TYPE, TARGETS_METADATA_SUBJECT,
  provenanceStatement, signProvenance, unmatchedSubjects, verifyProvenance, verifyProvenanceSigners,
  type ProvenanceInput, type Statement, type Subject,
} from "./provenance.js";
export { BuildRefused, checkTargets, inputName, loadTarget, readDescription, runBuild, targetFromFile, type BuildInputs, type BuildResult, type BuiltSbom, type BuiltTarget } from "./build.js";
export { sourceRevisionOf, type SourceRevision } from "./source-revision.js";
export type { ResourceDescriptor } from "./provenance.js";
export { MAX_SBOM_BYTES, parseSbom, SBOM_MEDIA_TYPES, type Sbom, type SbomComponent, type SbomFormat } from "./sbom.js";
export { BUILDS_BY_TARGETS_METADATA, buildsOfTargetsMetadata, parseBuildRecord, readStoredBuildRecord, storeBuildRecord, type BuildRecord, type StoredFile } from "./build-record.js";
