import { loadDefaultModel, predict, type ClassifierModel } from './classifier/index.ts';
import type { Classification } from './tables.ts';

/** The shipped model, loaded once on first use (from the repository; never from the network). */
let model: ClassifierModel | null = null;

export function defaultClassifier(): ClassifierModel {
  model ??= loadDefaultModel();
  return model;
}

/** The classifier's reading of a report's text, with the five n-grams that drove it. */
export function classifyReportText(text: string): Classification {
  const p = predict(defaultClassifier(), text, { explain: 5 });
  return {
    label: p.label,
    probability: Math.round(p.probability * 10_000) / 10_000,
    language: p.language,
    features: p.features.map((f) => ({ feature: f.feature, weight: Math.round(f.weight * 1000) / 1000 })),
  };
}
