export const TRAINING_EMITTERS = {};
