// Builds the model a recipe describes (model.kind = bert | vit) for a task's class count.
#pragma once

#include <memory>

#include "lowbit/models/classifier.h"

namespace lowbit {

class Recipe;
class TaskData;

std::unique_ptr<models::Classifier> make_model(const Recipe& recipe, const TaskData& data);

}  // namespace lowbit
