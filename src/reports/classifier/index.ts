/** The message classifier of the reports capability: see docs/classifier.md. */
export {
  classify,
  predict,
  train,
  languageOf,
  type ClassifierModel,
  type FeatureWeight,
  type LabelledText,
  type Language,
  type LanguageModel,
  type Prediction,
  type TrainOptions,
} from './model.ts';
export { evaluate, formatEvaluation, scoreLabels, type ClassMetrics, type Evaluation } from './evaluate.ts';
export {
  defaultModelFile,
  loadDefaultModel,
  loadModel,
  modelFromJson,
  modelToJson,
  ModelFormatError,
  packageRoot,
  saveModel,
} from './serialise.ts';
export {
  isHeldOut,
  mapCorpusLabel,
  readLabelledCsv,
  splitRows,
  SPLIT_SEED,
  type BadRow,
  type Corpus,
} from './data.ts';
export { detectLanguage } from './features.ts';
