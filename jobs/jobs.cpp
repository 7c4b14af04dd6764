// The registry of jobs: adding a job is adding its file and one line here.
#include "jobs/job.h"

namespace aif {

int PrepareMain(int argc, char** argv, JobContext& ctx);
int InspectMain(int argc, char** argv, JobContext& ctx);
int TrainMain(int argc, char** argv, JobContext& ctx);
int EvaluateMain(int argc, char** argv, JobContext& ctx);
int PredictMain(int argc, char** argv, JobContext& ctx);
int DriftMain(int argc, char** argv, JobContext& ctx);
int PromoteMain(int argc, char** argv, JobContext& ctx);
int RegistryMain(int argc, char** argv, JobContext& ctx);

const std::vector<JobEntry>& AllJobs() {
  static const std::vector<JobEntry> jobs = {
      {"prepare", "turn raw data (Fashion-MNIST IDX, CSV) into an aif HDF5 dataset", PrepareMain},
      {"train", "train a model data-parallel over MPI ranks", TrainMain},
      {"evaluate", "evaluate a model on a dataset split into report.json and report.html", EvaluateMain},
      {"promote", "register a candidate in the model store and move an alias if the policy's gates pass", PromoteMain},
      {"registry", "list, show, verify the model store; move and roll back aliases", RegistryMain},
      {"predict", "score a dataset split or a CSV with a model, into CSV or HDF5", PredictMain},
      {"drift", "compare new data and the model's predictions on it with the model's reference statistics", DriftMain},
      {"inspect", "print a JSON summary of any aif file (dataset, model, checkpoint)", InspectMain},
  };
  return jobs;
}

}  // namespace aif
