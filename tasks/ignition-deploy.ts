/**
 * `npx hardhat ignition deploy … --network <remote>` signs the deployment with DEPLOYER_PRIVATE_KEY. Ignition
 * itself would go on with no account and fail later on a default sender; this override of its task stops
 * first, naming the variable (never its value) — the URL variable first, then the key — and then hands over
 * to Ignition unchanged.
 */
import { scope } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import { DEPLOYER_KEY_VARIABLE } from "../keeper/config/key-settings";
import { deployerAccounts, deployerKeyProblem, NETWORK_URL_VARIABLES, urlSettingMessage, urlSettingProblem } from "./lib/network-settings";

scope("ignition")
  .task("deploy")
  .setAction(async (args: Record<string, unknown>, hre, runSuper) => {
    const network = hre.network.name;
    const urlProblem = urlSettingProblem(network);
    if (urlProblem !== undefined) throw new HardhatPluginError("chimera", urlSettingMessage(network, urlProblem));
    if (network in NETWORK_URL_VARIABLES && network !== "localhost") {
      const problem = deployerKeyProblem();
      if (problem !== undefined)
        throw new HardhatPluginError("chimera", `${problem} \`ignition deploy --network ${network}\` signs with it.`);
      if (deployerAccounts().length === 0) {
        throw new HardhatPluginError(
          "chimera",
          `${DEPLOYER_KEY_VARIABLE} is not set; \`ignition deploy --network ${network}\` signs the deployment with it (it pays the gas and ` +
            `holds no role). Set it with \`npx hardhat vars set ${DEPLOYER_KEY_VARIABLE}\` (see .env.example).`,
        );
      }
    }
    return runSuper(args);
  });
