#pragma once
// The model side of the facade: catalog entries come from Session::catalog(); front ends also show a model's exact
// parameter counts and import Hugging Face config.json files. Both are pure functions of the model description,
// exposed here as they are.
#include "model/hf_config_importer.hpp"
#include "model/model_catalog.hpp"
#include "model/parameter_count.hpp"
